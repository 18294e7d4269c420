"""Reader pages: server-rendered, each with a constant number of queries and keyset pages.

Lists never count and never OFFSET (see news/keyset.py); a listed article's links and times are
worked out here, in Python, once per item, and the list is one template loop with no includes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from math import isqrt
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import BadRequest
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from newsdesk.news import keyset, pagecache
from newsdesk.news.enrichstore import analyses_of
from newsdesk.news.models import (
    Article,
    ArticleEntity,
    ArticleTag,
    Attribution,
    Entity,
    EntityKind,
    Feed,
    Ownership,
    Quote,
    Source,
    Story,
    Tag,
)
from newsdesk.news.related import related_articles
from newsdesk.news.statements import speaker_quotes, speaker_statements, story_quotes, story_statements
from newsdesk.news.templatetags.newsdesk_tags import when

RELATED_COUNT = 6
TOP_STORIES = 5
TOP_STORY_WINDOW = timedelta(days=3)
ENTITY_QUOTES = 20
ENTITY_STATEMENTS = 20
ENTITY_STATEMENT_ARTICLES = 60  # the newest quoting articles a speaker's statements are read from
STORY_TIMELINE = 30
STORY_QUOTES = 30
STORY_PLACES = 30
FEEDS_PAGE = 50
MAX_FEEDS_PAGE = 10_000  # half a million feeds; a larger page number is a typo or a probe


def _page_size() -> int:
    return int(settings.NEWSDESK.page_size)


@dataclass(frozen=True)
class Item:
    """A listed article with what its line shows, worked out once."""

    article: Article
    href: str
    source_href: str
    when: SafeString


class Paths:
    """Links to articles, outlets and entities by id: one reversal each per page, not one per item.

    Templates join ``head``, the id and ``tail`` (``{{ paths.entity_head }}{{ id }}{{ paths.entity_tail }}``).
    """

    MARK = 987654321

    def __init__(self) -> None:
        self.article_head, self.article_tail = self._split("news:article")
        self.source_head, self.source_tail = self._split("news:source")
        self.entity_head, self.entity_tail = self._split("news:entity")

    def _split(self, name: str) -> tuple[str, str]:
        head, tail = reverse(name, args=[self.MARK]).split(str(self.MARK))
        return head, tail

    def items(self, articles: Any, now: datetime | None = None) -> list[Item]:
        now = now or timezone.now()
        return [
            Item(
                a,
                f"{self.article_head}{a.pk}{self.article_tail}",
                f"{self.source_head}{a.source_id}{self.source_tail}",
                when(a.sort_at, now),
            )
            for a in articles
        ]


def _list_page(articles: QuerySet[Article], request: HttpRequest, **fetch: Any) -> keyset.Page[Article]:
    return keyset.newest_first(articles, request.GET, _page_size(), **fetch)


def home(request: HttpRequest) -> HttpResponse:
    """The latest articles across outlets, a keyset page at a time (the first led by top stories).

    ``/?q=`` is a search (as a reader's home page box or an old bookmark sends it): the search page.
    """
    query = request.GET.get("q", "").strip()
    if query:
        return redirect(reverse("search:search") + "?" + urlencode({"q": query}))
    version = pagecache.store_version()

    def build() -> str:
        page = _list_page(Article.objects.listing(), request)
        stories = list(top_stories()[:TOP_STORIES]) if not page.newer else []
        return _render_list("news/_home_listing.html", page, stories=stories)

    def listing() -> SafeString:
        return _fragment(request, "home", [], build, version=version)

    if request.user.is_authenticated:
        return render(request, "news/home.html", {"listing": listing()})
    # Every anonymous visitor gets the same page (the most visited one): kept whole.
    key = pagecache.fragment_key(version, "home-anonymous", _position(request))
    html = pagecache.kept(key)
    if html is None:
        html = render_to_string("news/home.html", {"listing": listing()}, request=request)
        if not request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):  # never keep a page with a CSRF token
            pagecache.keep(key, html)
    return HttpResponse(html)


def _position(request: HttpRequest) -> list[object]:
    return [request.GET.get("before", ""), request.GET.get("after", "")]


def _fragment(
    request: HttpRequest, name: str, parts: list[object], build: Callable[[], str], version: str = ""
) -> SafeString:
    """A page's cached fragment for the keyset position this request asks for."""
    return pagecache.fragment(
        version or pagecache.store_version(), name, [*parts, *_position(request)], build
    )


def _render_list(template: str, page: keyset.Page[Article], **extra: Any) -> str:
    paths = Paths()
    return render_to_string(template, {"page": page, "paths": paths, "items": paths.items(page), **extra})


def top_stories() -> QuerySet[Story]:
    """Stories by coverage (outlets), then recency; merged-away and single-article stories left out."""
    since = timezone.now() - TOP_STORY_WINDOW
    return Story.objects.filter(
        merged_into__isnull=True, article_count__gt=1, last_published_at__gte=since
    ).order_by("-source_count", "-last_published_at", "-id")


def article_detail(request: HttpRequest, article_id: int) -> HttpResponse:
    """One article laid out like an aggregator's page: body, hashtags, AI panel, comments, related."""
    article = get_object_or_404(Article.objects.select_related("source", "story"), pk=article_id)
    paths = Paths()
    # Not cached: a signed-in reader's follow buttons offer the panel's hashtags, people and places.
    related = paths.items(related_articles(article, RELATED_COUNT))
    context = {"article": article, "paths": paths, "copies": _copies(article), "related": related}
    context.update(ai_panel(article))
    return render(request, "news/article.html", context)


def ai_panel(article: Article) -> dict[str, object]:
    """Hashtags, key people and places, quotes, sourcing and what was analysed, in five queries."""
    if article.enriched_at is None:
        return {}
    tags = list(Tag.objects.filter(article_tags__article=article).order_by("article_tags__rank"))
    links = list(
        ArticleEntity.objects.filter(article=article)
        .select_related("entity")
        .order_by("-mentions", "entity__name")
    )
    quotes = list(Quote.objects.filter(article=article).select_related("speaker").order_by("position"))
    cited = list(
        Attribution.objects.filter(article=article).select_related("source").order_by("source__name")
    )
    by_kind: dict[str, list[Entity]] = {}
    for link in links:
        by_kind.setdefault(link.entity.kind, []).append(link.entity)
    named = {
        q.speaker_name or q.speaker_id for q in quotes if not q.anonymous and (q.speaker_name or q.speaker_id)
    }
    return {
        "tags": tags,
        "people": by_kind.get(EntityKind.PERSON, [])[:8],
        "organisations": by_kind.get(EntityKind.ORGANISATION, [])[:8],
        "places": by_kind.get(EntityKind.PLACE, [])[:8],
        "quotes": quotes,
        "cited_outlets": cited,
        "named_sources": len(named),
        "anonymous_sources": sum(1 for q in quotes if q.anonymous),
        "analyses": analyses_of(article),  # the language, and the analyses not run for it
    }


def _copies(article: Article) -> list[Article]:
    """Near-copies of the article (syndicated or lightly edited), shown as "also published by"."""
    wanted = (
        Q(duplicate_of=article) | Q(pk=article.duplicate_of_id)
        if article.duplicate_of_id
        else Q(duplicate_of=article)
    )
    # No ORDER BY: the default newest-first order made SQLite walk the whole (sort_at, id) index
    # and test every article (26 ms at 10k) instead of looking the few copies up by their indexes.
    copies = (
        Article.objects.filter(wanted)
        .exclude(pk=article.pk)
        .select_related("source")
        .only("id", "url", "sort_at", "source__id", "source__name")
        .order_by()
    )
    return sorted(copies, key=lambda copy: (copy.sort_at, copy.pk))


def source_detail(request: HttpRequest, source_id: int) -> HttpResponse:
    """An outlet: its facts, its feeds and their health, its latest articles."""
    source = get_object_or_404(Source.objects.annotate(**pagecache.version_fields()), pk=source_id)
    feeds = source.feeds.order_by("url")

    def build() -> str:
        page = _list_page(Article.objects.listing().filter(source=source), request)
        return _render_list("news/_listing.html", page, empty="No articles yet.")

    listing = _fragment(request, "source", [source.pk], build, version=pagecache.version_of(source))
    context = {"source": source, "feeds": feeds, "listing": listing, "paths": Paths()}
    return render(request, "news/source.html", context)


def feed_list(request: HttpRequest) -> HttpResponse:
    """Every feed followed and its health, failing ones first (a few hundred: numbered pages, no count)."""
    try:
        number = keyset.whole_number(request.GET.get("page") or "1", "page", 1, MAX_FEEDS_PAGE)
    except keyset.BadParameter as problem:
        raise BadRequest(str(problem)) from None  # a 400 in the site's layout (newsdesk.desk.errors)
    start = (number - 1) * FEEDS_PAGE
    ordered = Feed.objects.select_related("source").order_by("-consecutive_errors", "source__name", "url")
    feeds = list(ordered[start : start + FEEDS_PAGE + 1])
    page = {
        "newer": f"page={number - 1}" if number > 1 else None,
        "older": f"page={number + 1}" if len(feeds) > FEEDS_PAGE else None,
        "has_other_pages": number > 1 or len(feeds) > FEEDS_PAGE,
    }
    return render(request, "news/feeds.html", {"feeds": feeds[:FEEDS_PAGE], "page": page, "paths": Paths()})


def tag_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """Articles carrying one hashtag, newest first."""
    links = ArticleTag.objects.filter(tag=OuterRef("pk"))
    tags = Tag.objects.annotate(**pagecache.version_fields(), links=CappedCount(links))
    tag = get_object_or_404(tags, slug=slug)

    def build() -> str:
        common = _is_common(getattr(tag, "links", 0), _archive(tag))
        page = _linked_page(ArticleTag.objects.filter(tag=tag), common, request)
        return _render_list("news/_listing.html", page, empty="No articles carry this hashtag.")

    listing = _fragment(request, "tag", [tag.pk], build, version=pagecache.version_of(tag))
    return render(request, "news/tag.html", {"tag": tag, "listing": listing})


def entity_detail(request: HttpRequest, entity_id: int) -> HttpResponse:
    """A person, organisation or place: the articles that mention it and its latest quotes."""
    quoted = CappedCount(Quote.objects.filter(speaker=OuterRef("pk")))
    entities = Entity.objects.annotate(**pagecache.version_fields(), quoted=quoted)
    entity = get_object_or_404(entities, pk=entity_id)

    def build() -> str:
        archive = _archive(entity)
        links = ArticleEntity.objects.filter(entity=entity)
        # The stored count of the entity's articles says which plan reads less.
        page = _linked_page(links, _is_common(entity.article_count, archive), request)
        common_quotes = _is_common(getattr(entity, "quoted", 0), archive)
        rows = [] if page.newer else speaker_quotes(entity, ENTITY_STATEMENT_ARTICLES, common_quotes)
        # The newest quoting articles' quotes come first: the listing shows the first of them.
        listing = _render_list(
            "news/_entity_listing.html", page, quotes=rows[:ENTITY_QUOTES], empty="No articles."
        )
        if page.newer or entity.kind not in (EntityKind.PERSON, EntityKind.ORGANISATION):
            return listing
        shown = speaker_statements(entity, ENTITY_STATEMENTS, quotes=rows)
        return listing + render_to_string(
            "news/_statements_speaker.html", {"statements": shown, "paths": Paths()}
        )

    listing = _fragment(request, "entity", [entity.pk], build, version=pagecache.version_of(entity))
    return render(request, "news/entity.html", {"entity": entity, "listing": listing})


def _linked_page(links: QuerySet[Any], common: bool, request: HttpRequest) -> keyset.Page[Article]:
    """The page of articles that some link rows point at: ids from the indexes, then 20 rows."""
    matching = Article.objects.linked_from(links, common=common)
    return _list_page(matching, request, fetch=lambda ids: Article.objects.listing().filter(pk__in=ids))


class CappedCount(Subquery):
    """How many rows a subquery has, counted no further than COUNT_CAP (from an index, in ~1 ms)."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) capped)"
    output_field = IntegerField()

    def __init__(self, rows: QuerySet[Any]) -> None:
        super().__init__(rows.order_by().values("pk")[:COUNT_CAP])


# The plan threshold passes this count only for archives above ~1.2M articles; then every list over
# the cap walks the index (it reads at most page x archive / cap entries).
COUNT_CAP = 5000


def _archive(row: object) -> int:
    """The archive's size: its newest article id, read with the page's object (pagecache)."""
    return int(getattr(row, "store_newest_article", 0) or 0)


def _is_common(links: int, archive: int) -> bool:
    """Whether walking the newest-first index finds a page sooner than sorting the matches.

    Walking reads about page x archive / links index entries, sorting reads every link: the two
    cross at the square root of page x archive (1,450 links at 100k articles, 4,600 at 1M).
    """
    return links >= min(_common_threshold(archive), COUNT_CAP)


def _common_threshold(archive: int) -> int:
    return max(100, isqrt((_page_size() + 1) * archive))


def story_detail(request: HttpRequest, story_id: int) -> HttpResponse:
    """One story: coverage by outlet, country and ownership, timeline, first report, quotes, map."""
    story = get_object_or_404(Story.objects.annotate(**pagecache.version_fields()), pk=story_id)
    if story.merged_into_id:
        return redirect("news:story", story.merged_into_id)

    def build() -> str:
        coverage = story_coverage(story)
        paths = Paths()
        context = {"story": story, **vars(coverage), "more": coverage.more, "paths": paths}
        context["items"] = paths.items(coverage.timeline)
        context["markers"], context["place_items"] = _map_parts(coverage.places, paths)
        context["graticule"] = GRATICULE
        found = story_statements(story, coverage.statement_quotes)
        statements = render_to_string("news/_statements_story.html", {"found": found, "paths": paths})
        return render_to_string("news/_story_body.html", context) + statements

    # The story's own row moves with every placement into it; the store version covers the rest.
    parts: list[object] = [story.pk, story.article_count, story.source_count, story.last_published_at]
    parts += [story.developing, story.headline]
    body = pagecache.fragment(pagecache.version_of(story), "story", parts, build)
    return render(request, "news/story.html", {"story": story, "body": body})


@dataclass
class Coverage:
    """What the story page and API show of a story."""

    timeline: list[Article]  # the first STORY_TIMELINE reports, oldest first
    first: Article | None
    by_outlet: list[tuple[str, int]]
    by_country: list[tuple[str, int]]
    by_ownership: list[tuple[str, int]]
    quotes: list[Quote]
    places: list[dict[str, Any]]
    statement_quotes: list[Quote] = field(default_factory=list)  # what story_statements groups

    @property
    def more(self) -> int:
        """Reports beyond the timeline's first ones."""
        return max(0, sum(n for _, n in self.by_outlet) - len(self.timeline))


def story_coverage(story: Story) -> Coverage:
    """The coverage of a story in four queries, whatever its size."""
    members = Article.objects.filter(story=story)
    timeline = list(members.listing().order_by("sort_at", "id")[:STORY_TIMELINE])
    by_outlet: Counter[str] = Counter()
    by_country: Counter[str] = Counter()
    by_ownership: Counter[str] = Counter()
    labels = dict(Ownership.choices)
    per_source = members.values_list("source__name", "source__country", "source__ownership").annotate(
        n=Count("id")
    )
    for name, country, ownership, n in per_source.order_by():
        by_outlet[name] += n
        by_country[country or "unknown"] += n
        by_ownership[str(labels.get(ownership, ownership))] += n
    # the quotes the statements read; the listed ones are the first of them (the same order)
    statement_quotes = list(story_quotes(story))
    quotes = statement_quotes[:STORY_QUOTES]
    places = list(
        Entity.objects.filter(
            kind=EntityKind.PLACE, latitude__isnull=False, article_entities__article__story=story
        )
        .annotate(mentions=Count("article_entities"))
        .order_by("-mentions", "name")[:STORY_PLACES]
    )
    return Coverage(
        timeline=timeline,
        first=timeline[0] if timeline else None,
        by_outlet=_ranked(by_outlet),
        by_country=_ranked(by_country),
        by_ownership=_ranked(by_ownership),
        quotes=quotes,
        places=[_marker(place) for place in places],
        statement_quotes=statement_quotes,
    )


def _ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _marker(place: Entity) -> dict[str, object]:
    """A place and where it sits on an equirectangular map 360 wide and 180 high."""
    lat, lon = place.latitude or 0.0, place.longitude or 0.0
    return {"entity": place, "lat": lat, "lon": lon, "x": round(lon + 180, 2), "y": round(90 - lat, 2)}


# The map's grid: the same lines on every map, made once.
GRATICULE = mark_safe(  # noqa: S308 - numbers only
    "".join(f'<line x1="{x}" y1="0" x2="{x}" y2="180"/>' for x in range(0, 361, 30))
    + "".join(f'<line x1="0" y1="{y}" x2="360" y2="{y}"/>' for y in range(0, 181, 30))
)


def _map_parts(places: list[dict[str, Any]], paths: Paths) -> tuple[SafeString, SafeString]:
    """The map's markers and its list of places, made in Python: two template loops over up to 30
    places were a third of a large story's page."""
    markers = format_html_join(
        "",
        '<a href="{}{}{}"><circle class="marker" cx="{}" cy="{}" r="2.5"><title>{}</title></circle></a>',
        (
            (paths.entity_head, p["entity"].pk, paths.entity_tail, p["x"], p["y"], p["entity"].name)
            for p in places
        ),
    )
    items = format_html_join(
        "",
        '<li class="place-marker" data-lat="{}" data-lon="{}"><a href="{}{}{}">{}</a>{}</li>',
        (
            (
                p["lat"],
                p["lon"],
                paths.entity_head,
                p["entity"].pk,
                paths.entity_tail,
                p["entity"].name,
                format_html(" ({})", p["entity"].country) if p["entity"].country else "",
            )
            for p in places
        ),
    )
    return markers, items
