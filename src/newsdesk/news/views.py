"""Reader pages: server-rendered, each with a constant number of queries and keyset pages.

Lists never count and never OFFSET (see news/keyset.py); a listed article's links and times are
worked out here, in Python, once per item, and the list is one template loop with no includes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from math import isqrt
from typing import Any

from django.conf import settings
from django.core.exceptions import BadRequest
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString

from newsdesk.news import charts, keyset, pagecache, sections
from newsdesk.news.enrichstore import analyses_of
from newsdesk.news.framing import story_framing
from newsdesk.news.lineage import story_lineage
from newsdesk.news.models import (
    Article,
    ArticleEntity,
    ArticleTag,
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
from newsdesk.news.reliance import article_reliance, story_reliance
from newsdesk.news.statements import (
    quotes_key,
    speaker_quotes,
    speaker_statements,
    story_quotes,
    story_statements,
)
from newsdesk.news.templatetags.newsdesk_tags import when

RELATED_COUNT = 6
# The earliest reports the story page's "what the coverage rests on" tree is drawn from (the API's
# reliance reads up to news.reliance.RELIANCE_REPORTS); the later ones are counted, not drawn.
STORY_RELIANCE_REPORTS = 60
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


def article_detail(request: HttpRequest, article_id: int) -> HttpResponse:
    """One article laid out like an aggregator's page: body, hashtags, AI panel, comments, related."""
    article = get_object_or_404(Article.objects.select_related("source", "story"), pk=article_id)
    paths = Paths()
    # Not cached: a signed-in reader's follow buttons offer the panel's hashtags, people and places.
    related = paths.items(related_articles(article, RELATED_COUNT))
    context = {"article": article, "paths": paths, "copies": _copies(article), "related": related}
    context.update(ai_panel(article))
    if article.enriched_at is not None:
        context["reliance"] = article_reliance(article)  # each cited outlet's report on the event
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
        return listing + _speaker_statements_html(entity, rows)

    listing = _fragment(request, "entity", [entity.pk], build, version=pagecache.version_of(entity))
    world_map = ""
    if entity.kind == EntityKind.PLACE and entity.latitude is not None:
        world_map = charts.world_map(
            [entity],
            link=Paths(),
            highlight_countries=[entity.country] if entity.country else [],
            title=f"{entity.name} on a world map",
            dom_id="place-map",
            listed=False,
        )
    context = {"entity": entity, "listing": listing, "world_map": world_map}
    return render(request, "news/entity.html", context)


def _speaker_statements_html(entity: Entity, rows: list[Quote]) -> str:
    """The speaker's statements, grouped and rendered once per process for the same quotes read
    (the grouping and its rendering were half the page; the listing reads the quotes anyway)."""
    paths = Paths()
    prefixes = (paths.article_head, paths.article_tail, paths.entity_head, paths.entity_tail)
    key = ("speaker statements", entity.pk, ENTITY_STATEMENTS, prefixes, sections.digest(quotes_key(rows)))

    def build() -> str:
        shown = speaker_statements(entity, ENTITY_STATEMENTS, quotes=rows)
        return render_to_string("news/_statements_speaker.html", {"statements": shown, "paths": paths})

    return sections.fresh_times(sections.remembered(key, build))


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
    stories = Story.objects.annotate(**pagecache.version_fields())
    story = get_object_or_404(sections.with_sections(stories, sections.BODY, sections.SOURCING), pk=story_id)
    if story.merged_into_id:
        return redirect("news:story", story.merged_into_id)

    def build() -> str:
        # The body and the sourcing sections are kept per story version (news/sections.py), read
        # with the story: a page whose sections are kept reads nothing more.
        body = sections.kept(story, sections.BODY, sections.BODY_TTL)
        sourcing = sections.kept(story, sections.SOURCING)
        made: dict[str, str] = {}
        paths = Paths()
        coverage = None
        if body is None:
            points = charts.story_timeline_points(story)
            coverage = story_coverage(story, points, statements=sourcing is None)
            body = made[sections.BODY] = _story_body(story, coverage, points, paths)
        if sourcing is None:
            sourcing = made[sections.SOURCING] = _story_sourcing(story, coverage, paths)
        sections.keep(story, made)
        return sections.fresh_times(body + sourcing)

    # The story's own row moves with every placement into it; the store version covers the rest.
    parts: list[object] = [story.pk, story.article_count, story.source_count, story.last_published_at]
    parts += [story.developing, story.headline]
    body = pagecache.fragment(pagecache.version_of(story), "story", parts, build)
    return render(request, "news/story.html", {"story": story, "body": body})


def _story_body(story: Story, coverage: Coverage, points: list[charts.TimelinePoint], paths: Paths) -> str:
    """The story page's coverage, timeline, quotes and map."""
    context = {"story": story, **vars(coverage), "more": coverage.more, "paths": paths}
    context["items"] = paths.items(coverage.timeline)
    places = [p["entity"] for p in coverage.places]
    context["world_map"] = charts.world_map(
        places, link=paths, highlight_countries={p.country for p in places if p.country}
    )
    context["timeline_chart"] = charts.coverage_timeline(points, coverage.first)
    context["balance_chart"] = charts.balance_bars(coverage.by_country, coverage.by_ownership)
    return render_to_string("news/_story_body.html", context)


def _story_sourcing(story: Story, coverage: Coverage | None, paths: Paths) -> str:
    """The story page's sourcing sections: who said what, what the coverage rests on, copy chains
    and framing (from the quotes and the article count the coverage read, when it was read)."""
    quotes = coverage.statement_quotes if coverage is not None else None
    found = story_statements(story, quotes)
    reliance = story_reliance(story, STORY_RELIANCE_REPORTS)
    lineage = story_lineage(story, articles=coverage.total if coverage is not None else None)
    return "".join(
        [
            render_to_string("news/_statements_story.html", {"found": found, "paths": paths}),
            render_to_string("news/_reliance_story.html", {"reliance": reliance, "paths": paths}),
            render_to_string("news/_lineage_story.html", {"lineage": lineage, "paths": paths}),
            render_to_string("news/_framing_story.html", {"framing": story_framing(story), "paths": paths}),
        ]
    )


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
    def total(self) -> int:
        """The story's reports, counted by outlet."""
        return sum(n for _, n in self.by_outlet)

    @property
    def more(self) -> int:
        """Reports beyond the timeline's first ones."""
        return max(0, self.total - len(self.timeline))


def story_coverage(
    story: Story, points: list[charts.TimelinePoint] | None = None, *, statements: bool = True
) -> Coverage:
    """The coverage of a story in four queries, whatever its size (its counts by outlet, country
    and ownership from the timeline chart's ``points`` when the page read them already).

    With ``statements`` it reads the quotes the statements are grouped from (``story_quotes``,
    the listed ones the first of them); without, only the listed ones (the same rows).
    """
    members = Article.objects.filter(story=story)
    timeline = list(members.listing().order_by("sort_at", "id")[:STORY_TIMELINE])
    if points is None:
        points = charts.story_timeline_points(story)
    by_outlet, by_country, by_ownership = charts.coverage_counts(points)
    statement_quotes = list(story_quotes(story) if statements else story_quotes(story, STORY_QUOTES))
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
        by_outlet=by_outlet,
        by_country=by_country,
        by_ownership=by_ownership,
        quotes=quotes,
        places=[_marker(place) for place in places],
        statement_quotes=statement_quotes if statements else [],
    )


def _marker(place: Entity) -> dict[str, object]:
    """A place and where it sits on an equirectangular map 360 wide and 180 high."""
    lat, lon = place.latitude or 0.0, place.longitude or 0.0
    return {"entity": place, "lat": lat, "lon": lon, "x": round(lon + 180, 2), "y": round(90 - lat, 2)}
