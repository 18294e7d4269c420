"""The search page (/search/?q=...), and a reader's saved searches: save, list, delete, make an alert.

The page reads its parameters through ``SearchParams`` (the same the API and saved-search feeds
read), plus ``cursor`` (the next page) and ``like`` (an article id: "more like this" through the
vector index). A bad parameter is a 400 with its message, never a 500. Filters are links: each
one the page's hits offer (outlet, hashtag, person or place, language, story), the date ranges,
the sorts and the modes, and each active filter as a link that removes it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from newsdesk.news.models import Article, ArticleEntity, ArticleTag, Entity, Source, Story
from newsdesk.readers.models import AlertKind, AlertRule, SavedSearch
from newsdesk.search.engine import Results, SearchError, more_like_this
from newsdesk.search.params import SearchParams

PAGE_SIZE = 20
FACET_LINKS = 8
DATE_RANGES = (("Past day", 1), ("Past week", 7), ("Past month", 30), ("Past year", 365))
MODE_NAMES = (("text", "Words"), ("hybrid", "Words and meaning"), ("vector", "Meaning"))
SORT_NAMES = (("relevance", "Best match"), ("newest", "Newest"))


@dataclass(frozen=True)
class Link:
    label: str
    href: str
    active: bool = False
    count: int = 0


def search_page(request: HttpRequest) -> HttpResponse:
    try:
        params = SearchParams.from_query(request.GET)
        like = _like(request.GET.get("like"))
        cursor = request.GET.get("cursor") or None
        if like is not None:
            results = more_like_this(like.pk, cursor=cursor, limit=PAGE_SIZE, **params.filter_kwargs())
        elif params.q:
            results = params.run(user=request.user, cursor=cursor, limit=PAGE_SIZE)
        else:
            results = None
    except SearchError as problem:
        raise BadRequest(str(problem)) from None
    context = {
        "params": params,
        "search_query": params.q,
        "like": like,
        "results": results,
        "next_href": _next_href(request, results),
        "sorts": [_choice(params, "sort", value, label) for value, label in SORT_NAMES],
        "modes": [_choice(params, "mode", value, label) for value, label in MODE_NAMES],
        "dates": _date_links(params),
        "active": _active_filters(params),
        "facets": _facets(params, results) if results is not None and results.hits else {},
        "saved": _saved(request),
        "querystring": params.querystring(),
        # A new query keeps the filters, sort and mode in force.
        "kept": parse_qsl(params.querystring(q="")),
    }
    return render(request, "search/search.html", context)


def _like(value: str | None) -> Article | None:
    if not value:
        return None
    if not re.fullmatch(r"[0-9]{1,18}", value):
        raise SearchError("like must be an article's id")
    return get_object_or_404(Article.objects.only("pk", "title"), pk=int(value))


def _href(params: SearchParams, **changes: Any) -> str:
    return f"{reverse('search:search')}?{params.querystring(**changes)}"


def _next_href(request: HttpRequest, results: Results | None) -> str:
    if results is None or not results.next_cursor:
        return ""
    query = request.GET.copy()
    query["cursor"] = results.next_cursor
    return f"{reverse('search:search')}?{query.urlencode()}"


def _choice(params: SearchParams, field: str, value: str, label: str) -> Link:
    return Link(label, _href(params, **{field: value}), active=getattr(params, field) == value)


def _date_links(params: SearchParams) -> list[Link]:
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    links = [Link("Any time", _href(params, since=None, until=None), active=params.since is None)]
    for label, days in DATE_RANGES:
        since = now - timedelta(days=days)
        active = params.since is not None and abs((params.since - since).total_seconds()) < 3600
        links.append(Link(label, _href(params, since=since, until=None), active=active))
    return links


def _active_filters(params: SearchParams) -> list[Link]:
    """Each filter in force, as a link that removes it (names looked up only for what is set)."""
    active = []
    if params.source is not None:
        name = Source.objects.filter(pk=params.source).values_list("name", flat=True).first()
        active.append(Link(f"Outlet: {name or params.source}", _href(params, source=None)))
    if params.tag:
        active.append(Link(f"#{params.tag}", _href(params, tag="")))
    if params.entity is not None:
        name = Entity.objects.filter(pk=params.entity).values_list("name", flat=True).first()
        active.append(Link(f"About: {name or params.entity}", _href(params, entity=None)))
    if params.language:
        active.append(Link(f"Language: {params.language}", _href(params, language="")))
    if params.story is not None:
        name = Story.objects.filter(pk=params.story).values_list("headline", flat=True).first()
        active.append(Link(f"Story: {(name or str(params.story))[:80]}", _href(params, story=None)))
    if params.since is not None or params.until is not None:
        span = " – ".join(
            [
                params.since.date().isoformat() if params.since else "…",
                params.until.date().isoformat() if params.until else "now",
            ]
        )
        active.append(Link(f"Dates: {span}", _href(params, since=None, until=None)))
    if params.mine:
        active.append(Link("Only my feeds", _href(params, mine=False)))
    return active


def _facets(params: SearchParams, results: Results) -> dict[str, list[Link]]:
    """Links to narrow the search by what the page's hits share: two queries (hashtags, entities)."""
    articles = [hit.article for hit in results.hits if hit.article is not None]
    ids = [a.pk for a in articles]
    outlets = Counter((a.source_id, a.source.name) for a in articles)
    languages = Counter(a.language for a in articles if a.language)
    tags = (
        ArticleTag.objects.filter(article_id__in=ids)
        .values("tag__slug", "tag__name")
        .annotate(n=Count("id"))
        .order_by("-n", "tag__name")[:FACET_LINKS]
    )
    entities = (
        ArticleEntity.objects.filter(article_id__in=ids)
        .values("entity_id", "entity__name")
        .annotate(n=Count("id"))
        .order_by("-n", "entity__name")[:FACET_LINKS]
    )
    facets = {
        "Outlets": [
            Link(name, _href(params, source=pk), params.source == pk, n)
            for (pk, name), n in outlets.most_common(FACET_LINKS)
        ],
        "Hashtags": [
            Link(
                f"#{row['tag__name']}",
                _href(params, tag=row["tag__slug"]),
                params.tag == row["tag__slug"],
                row["n"],
            )
            for row in tags
        ],
        "People, organisations and places": [
            Link(
                row["entity__name"],
                _href(params, entity=row["entity_id"]),
                params.entity == row["entity_id"],
                row["n"],
            )
            for row in entities
        ],
        "Languages": [
            Link(code, _href(params, language=code), params.language == code, n)
            for code, n in languages.most_common(FACET_LINKS)
        ],
    }
    return {name: links for name, links in facets.items() if links}


def _saved(request: HttpRequest) -> list[SavedSearch]:
    if not request.user.is_authenticated:
        return []
    return list(SavedSearch.objects.filter(user=request.user).prefetch_related("alert_rules")[:50])


# --- saved searches --------------------------------------------------------------------------------


@login_required
def saved_searches(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    searches = SavedSearch.objects.filter(user=user).prefetch_related("alert_rules")
    rows = [(s, _saved_href(s)) for s in searches]
    return render(request, "search/saved.html", {"rows": rows})


def _saved_href(saved: SavedSearch) -> str:
    return f"{reverse('search:search')}?{saved.query}"


@login_required
@require_POST
def save_search(request: HttpRequest) -> HttpResponse:
    try:
        params = SearchParams.from_query(request.POST.get("query", ""))
    except SearchError as problem:
        raise BadRequest(str(problem)) from None
    if not params.q:
        raise BadRequest("a saved search needs words to search for")
    name = (request.POST.get("name") or "").strip()[:200] or params.q[:200]
    user: Any = request.user
    saved = SavedSearch.objects.create(user=user, name=name, query=params.querystring())
    messages.success(request, f"Search “{saved.name}” saved.")
    return HttpResponseRedirect(_saved_href(saved))


@login_required
@require_POST
def delete_search(request: HttpRequest, search_id: int) -> HttpResponse:
    user: Any = request.user
    saved = get_object_or_404(SavedSearch, pk=search_id, user=user)
    saved.delete()
    messages.success(request, f"Search “{saved.name}” deleted, with its alerts.")
    return redirect("search:saved")


@login_required
@require_POST
def alert_search(request: HttpRequest, search_id: int) -> HttpResponse:
    """Make an alert rule of a saved search: each new article it finds notifies the reader."""
    user: Any = request.user
    saved = get_object_or_404(SavedSearch, pk=search_id, user=user)
    rule, made = AlertRule.objects.get_or_create(
        user=user, kind=AlertKind.SEARCH, saved_search=saved, defaults={"name": saved.name[:100]}
    )
    messages.success(
        request, f"Alert “{rule.name}” is on." if made else f"Alert “{rule.name}” was already on."
    )
    return redirect("readers:alert", rule.pk)
