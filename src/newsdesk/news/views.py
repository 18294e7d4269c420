"""Reader pages: server-rendered, each with a constant number of queries."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from newsdesk.news.models import (
    Article,
    ArticleEntity,
    Attribution,
    Entity,
    EntityKind,
    Feed,
    Quote,
    Source,
    Story,
    Tag,
)
from newsdesk.news.related import related_articles

RELATED_COUNT = 6
TOP_STORIES = 5
TOP_STORY_WINDOW = timedelta(days=3)


def _page_size() -> int:
    return int(settings.NEWSDESK.page_size)


def home(request: HttpRequest) -> HttpResponse:
    """The latest articles across outlets, paginated."""
    articles = (
        Article.objects.select_related("source").defer("html", "text", "summary").order_by("-sort_at", "-id")
    )
    page = Paginator(articles, _page_size()).get_page(request.GET.get("page"))
    stories = top_stories()[:TOP_STORIES] if page.number == 1 else []
    return render(request, "news/home.html", {"page": page, "stories": stories})


def top_stories() -> QuerySet[Story]:
    """Stories by coverage (outlets), then recency; merged-away and single-article stories left out."""
    since = timezone.now() - TOP_STORY_WINDOW
    return Story.objects.filter(
        merged_into__isnull=True, article_count__gt=1, last_published_at__gte=since
    ).order_by("-source_count", "-last_published_at", "-id")


def article_detail(request: HttpRequest, article_id: int) -> HttpResponse:
    """One article laid out like an aggregator's page: body, hashtags, AI panel, comments, related."""
    article = get_object_or_404(Article.objects.select_related("source", "story"), pk=article_id)
    context = {"article": article, "related": related_articles(article, RELATED_COUNT), **ai_panel(article)}
    return render(request, "news/article.html", context)


def ai_panel(article: Article) -> dict[str, object]:
    """Hashtags, key people and places, quotes, sourcing and copies of one article, in five queries."""
    if article.enriched_at is None:
        return {"copies": _copies(article)}
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
        "copies": _copies(article),
        "named_sources": len(named),
        "anonymous_sources": sum(1 for q in quotes if q.anonymous),
    }


def _copies(article: Article) -> list[Article]:
    """Near-copies of the article (syndicated or lightly edited), shown as "also published by"."""
    return list(
        Article.objects.filter(Q(duplicate_of=article) | Q(pk=article.duplicate_of_id or 0))
        .exclude(pk=article.pk)
        .select_related("source")
        .only("id", "url", "source__id", "source__name")
    )


def source_detail(request: HttpRequest, source_id: int) -> HttpResponse:
    """An outlet: its facts, its feeds and their health, its latest articles."""
    source = get_object_or_404(Source, pk=source_id)
    feeds = source.feeds.order_by("url")
    articles = (
        source.articles.select_related("source").defer("html", "text", "summary").order_by("-sort_at", "-id")
    )
    page = Paginator(articles, _page_size()).get_page(request.GET.get("page"))
    return render(request, "news/source.html", {"source": source, "feeds": feeds, "page": page})


def feed_list(request: HttpRequest) -> HttpResponse:
    """Every feed followed and its health, failing ones first."""
    feeds = Feed.objects.select_related("source").order_by("-consecutive_errors", "source__name", "url")
    page = Paginator(feeds, 100).get_page(request.GET.get("page"))
    return render(request, "news/feeds.html", {"page": page})


def tag_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """Articles carrying one hashtag, newest first."""
    tag = get_object_or_404(Tag, slug=slug)
    articles = (
        Article.objects.filter(article_tags__tag=tag)
        .select_related("source")
        .defer("html", "text", "summary")
        .order_by("-sort_at", "-id")
    )
    page = Paginator(articles, _page_size()).get_page(request.GET.get("page"))
    return render(request, "news/tag.html", {"tag": tag, "page": page})


def entity_detail(request: HttpRequest, entity_id: int) -> HttpResponse:
    """A person, organisation or place: the articles that mention it and its quotes."""
    entity = get_object_or_404(Entity, pk=entity_id)
    articles = (
        Article.objects.filter(article_entities__entity=entity)
        .select_related("source")
        .defer("html", "text", "summary")
        .order_by("-sort_at", "-id")
    )
    page = Paginator(articles, _page_size()).get_page(request.GET.get("page"))
    quotes = (
        Quote.objects.filter(speaker=entity)
        .select_related("article__source")
        .order_by("-article__sort_at")[:50]
    )
    return render(request, "news/entity.html", {"entity": entity, "page": page, "quotes": quotes})


def story_detail(request: HttpRequest, story_id: int) -> HttpResponse:
    """One story: coverage by outlet, country and ownership, timeline, first report, quotes, map."""
    story = get_object_or_404(Story, pk=story_id)
    if story.merged_into_id:
        return redirect("news:story", story.merged_into_id)
    context = {"story": story, **vars(story_coverage(story))}
    context["graticule_x"], context["graticule_y"] = range(0, 361, 30), range(0, 181, 30)
    return render(request, "news/story.html", context)


@dataclass
class Coverage:
    """What the story page and API show of a story."""

    timeline: list[Article]
    first: Article | None
    by_outlet: list[tuple[str, int]]
    by_country: list[tuple[str, int]]
    by_ownership: list[tuple[str, int]]
    quotes: list[Quote]
    places: list[dict[str, Any]]


def story_coverage(story: Story) -> Coverage:
    """The coverage of a story in four queries."""
    timeline = list(
        Article.objects.filter(story=story)
        .select_related("source")
        .defer("html", "text")
        .order_by("sort_at", "id")
    )
    by_outlet: Counter[str] = Counter()
    by_country: Counter[str] = Counter()
    by_ownership: Counter[str] = Counter()
    for article in timeline:
        by_outlet[article.source.name] += 1
        by_country[article.source.country or "unknown"] += 1
        by_ownership[article.source.get_ownership_display()] += 1
    quotes = list(
        Quote.objects.filter(article__story=story)
        .select_related("speaker", "article__source")
        .order_by("position")[:200]
    )
    places = list(
        Entity.objects.filter(
            kind=EntityKind.PLACE, latitude__isnull=False, article_entities__article__story=story
        )
        .annotate(mentions=Count("article_entities"))
        .order_by("-mentions", "name")[:50]
    )
    return Coverage(
        timeline=timeline,
        first=timeline[0] if timeline else None,
        by_outlet=_ranked(by_outlet),
        by_country=_ranked(by_country),
        by_ownership=_ranked(by_ownership),
        quotes=quotes,
        places=[_marker(place) for place in places],
    )


def _ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _marker(place: Entity) -> dict[str, object]:
    """A place and where it sits on an equirectangular map 360 wide and 180 high."""
    lat, lon = place.latitude or 0.0, place.longitude or 0.0
    return {"entity": place, "lat": lat, "lon": lon, "x": round(lon + 180, 2), "y": round(90 - lat, 2)}
