"""The front page of stories and the stories index: ranking, cards and sections in constant queries.

Time on the front page is the desk's, not the wall clock's: "now" is the newest article's time
(``max(sort_at)``, read from the newest-first index, capped at the wall clock so that one article
dated in the future cannot empty the page). An imported archive two years old therefore shows the
top stories of its last days, as a live desk shows today's.

Ranking. A story's weight is its coverage counted by independence, faded by its age:

    weight = (independent + COPY_WEIGHT * (outlets - independent)) * 0.5 ** (age / HALF_LIFE)

``independent`` is the number of distinct outlets among the story's reports that are no near-copy
(``Article.duplicate_of`` is empty), so ten outlets running one wire text count as one independent
report plus a little reach (1 + 0.25 * 9 = 3.25) and rank below four outlets that each reported it
(4). ``age`` is the time from the story's latest report to the desk's newest article. The half-life
is 18 hours: a day's news cycle, so this morning's story leads yesterday evening's unless the older
one has about twice the independent coverage, and at the end of the 72-hour candidate window (the
story placer's own window) a story needs sixteen times the coverage to hold its place, which is
where the window can end without changing the top.

Candidates are bounded before anything is counted: the ``CANDIDATES`` best-covered unmerged
stories whose latest report is within ``STORY_WINDOW`` of the desk's newest time (a range of the
``last_published_at`` index), then their independent outlets in one query with a correlated count,
then the weight in Python over at most that many rows.

Cards. Every card's outlets, lead image and related headlines come from one query over the members
of the shown stories with three window functions (portable: SQLite and PostgreSQL): each outlet's
first original report, the story's first ``MEMBER_SCAN`` reports (originals first) and its first
report with an image.

Sections. Trending hashtags and places are those with the most independent articles in the desk's
last day; each section (and each hashtag or place the signed-in reader follows) lists its newest
few independent articles, all sections of a kind in one windowed query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import BadRequest
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString

from newsdesk.news import keyset, pagecache, pwa
from newsdesk.news.models import (
    Article,
    ArticleEntity,
    ArticleTag,
    Entity,
    EntityKind,
    Feed,
    Source,
    Story,
    Tag,
)
from newsdesk.news.templatetags.newsdesk_tags import when
from newsdesk.news.views import Paths

HALF_LIFE = timedelta(hours=18)
STORY_WINDOW = timedelta(days=3)  # the story placer's window: no story spans a longer gap
COPY_WEIGHT = 0.25  # what an outlet that ran a copy adds beside one that reported itself
CANDIDATES = 100  # best-covered stories of the window that are weighed
TOP_STORIES = 6
OUTLET_NAMES = 5
RELATED_HEADLINES = 3
MEMBER_SCAN = 40  # a story's first reports read for its outlet names and related headlines
TRENDING_WINDOW = timedelta(days=1)
TRENDING_TAGS = 3
TRENDING_PLACES = 3
FOLLOWED_SECTIONS = 4
SECTION_ITEMS = 4
SECTION_SCAN = 12  # a section's newest links read to find its SECTION_ITEMS (copies, one per story)
SECTION_WINDOW = TRENDING_WINDOW  # a section's articles are the newest within this of the desk's time
DESK_ITEMS = 5
CARD_FIELDS = ("id", "headline", "article_count", "source_count", "last_published_at", "developing")
MIN_ARTICLES = 2  # a story of one report is an article: the latest list shows it
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")


# ---------------------------------------------------------------------------------------------
# Links by id, reversed once per page


class Links(Paths):
    """Article, outlet and entity links (``Paths``), and story links, by id."""

    def __init__(self) -> None:
        super().__init__()
        self.story_head, self.story_tail = self._split("news:story")

    def story(self, pk: int) -> str:
        return f"{self.story_head}{pk}{self.story_tail}"

    def article(self, pk: int) -> str:
        return f"{self.article_head}{pk}{self.article_tail}"

    def source(self, pk: int) -> str:
        return f"{self.source_head}{pk}{self.source_tail}"

    def entity(self, pk: int) -> str:
        return f"{self.entity_head}{pk}{self.entity_tail}"


# ---------------------------------------------------------------------------------------------
# The desk's time and its feeds


def desk_now(newest: datetime | None, wall: datetime | None = None) -> datetime | None:
    """The desk's "now": its newest article's time, never later than the wall clock."""
    if newest is None:
        return None
    return min(newest, wall or timezone.now())


def newest_time() -> datetime | None:
    """The newest article's time (one query, the end of the newest-first index)."""
    return Article.objects.order_by("-sort_at", "-id").values_list("sort_at", flat=True).first()


@dataclass(frozen=True)
class FeedState:
    """How the desk's feeds stand, counted from their health in one query."""

    total: int = 0
    disabled: int = 0
    failing: int = 0
    new: int = 0

    @property
    def active(self) -> int:
        return self.total - self.disabled

    @property
    def all_failing(self) -> bool:
        return self.active > 0 and self.failing == self.active


def feed_state() -> FeedState:
    """Feeds counted by ``Feed.health`` (disabled, failing, new, ok) in one aggregate."""
    enabled = Q(disabled_reason="")
    counts = Feed.objects.aggregate(
        total=Count("id"),
        disabled=Count("id", filter=~enabled),
        failing=Count("id", filter=enabled & Q(consecutive_errors__gt=0)),
        new=Count("id", filter=enabled & Q(consecutive_errors=0, last_success_at__isnull=True)),
    )
    return FeedState(**{name: int(value or 0) for name, value in counts.items()})


# ---------------------------------------------------------------------------------------------
# Ranking


def story_weight(
    outlets: int, independent: int, latest: datetime | None, now: datetime, half_life: timedelta = HALF_LIFE
) -> float:
    """Coverage counted by independence, halved every ``half_life`` from the desk's newest time."""
    independent = max(0, min(independent, outlets))
    coverage = independent + COPY_WEIGHT * (outlets - independent)
    if latest is None:
        return 0.0
    age = max(0.0, (now - latest).total_seconds())
    return coverage * 0.5 ** (age / half_life.total_seconds())


def _independent_outlets() -> Subquery:
    """Distinct outlets among the outer story's reports that are no near-copy (a correlated count)."""
    originals = (
        Article.objects.filter(story_id=OuterRef("pk"), duplicate_of__isnull=True)
        .order_by()
        .values("story_id")
        .annotate(n=Count("source_id", distinct=True))
        .values("n")
    )
    return Subquery(originals[:1], output_field=IntegerField())


def story_candidates(now: datetime, limit: int = CANDIDATES) -> QuerySet[Story]:
    """The best-covered unmerged stories with a report within STORY_WINDOW of ``now``, with
    ``independent`` annotated: one query (the window is a range of the ``last_published_at`` index;
    the count runs for the ``limit`` rows only)."""
    window = Story.objects.filter(
        merged_into__isnull=True,
        article_count__gte=MIN_ARTICLES,
        last_published_at__gte=now - STORY_WINDOW,
        last_published_at__lte=now,
    ).order_by("-source_count", "-last_published_at", "-id")
    ids = window.values("id")[:limit]
    return (
        Story.objects.filter(pk__in=Subquery(ids))
        .annotate(independent=Coalesce(_independent_outlets(), 0))
        .only(*CARD_FIELDS)
    )


def top_stories(now: datetime | None, count: int = TOP_STORIES) -> list[Story]:
    """The desk's top stories at its own time ``now`` (None: an empty desk), best first: one query.

    Each comes with ``independent`` (its outlets that reported it themselves) and ``weight``.
    """
    if now is None:
        return []
    rows = list(story_candidates(now).values(*CARD_FIELDS, "independent"))
    for row in rows:
        row["weight"] = story_weight(row["source_count"], row["independent"], row["last_published_at"], now)
    rows.sort(key=lambda r: (-r["weight"], -(r["last_published_at"] or now).timestamp(), -r["id"]))
    stories = []
    for row in rows[:count]:
        extra = {name: row.pop(name) for name in ("independent", "weight")}
        story = Story(**row)
        story.__dict__.update(extra)
        stories.append(story)
    return stories


# ---------------------------------------------------------------------------------------------
# Cards


@dataclass(frozen=True)
class Outlet:
    name: str
    href: str


@dataclass(frozen=True)
class Headline:
    """An article line: its title, outlet and time, linked."""

    title: str
    href: str
    outlet: str
    outlet_href: str
    when: SafeString
    read: bool = False


@dataclass
class Card:
    """What a story's card shows, worked out once."""

    story: Story
    href: str
    outlets: list[Outlet] = field(default_factory=list)
    more_outlets: int = 0
    image: str = ""
    image_alt: str = ""
    related: list[Headline] = field(default_factory=list)
    when: SafeString = SafeString("")  # the latest report's time, as news/_when.html shows it

    @property
    def independent(self) -> int | None:
        return getattr(self.story, "independent", None)


def _card_members(story_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The members the cards of these stories show, in one query with window functions."""
    copy_last = Case(
        When(duplicate_of__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    image_first = Case(When(lead_image="", then=Value(1)), default=Value(0), output_field=IntegerField())
    first = [copy_last.asc(), F("sort_at").asc(), F("id").asc()]
    members = (
        Article.objects.filter(story_id__in=story_ids)
        .annotate(
            outlet_rank=Window(RowNumber(), partition_by=[F("story_id"), F("source_id")], order_by=first),
            story_rank=Window(RowNumber(), partition_by=[F("story_id")], order_by=first),
            image_rank=Window(
                RowNumber(), partition_by=[F("story_id")], order_by=[image_first.asc(), *first]
            ),
        )
        .filter(Q(outlet_rank=1, story_rank__lte=MEMBER_SCAN) | Q(image_rank=1))
        .values(
            "id",
            "story_id",
            "source_id",
            "source__name",
            "title",
            "lead_image",
            "sort_at",
            "outlet_rank",
            "story_rank",
            "image_rank",
        )
        .order_by("story_id", "story_rank")
    )
    return [dict(row) for row in members]


def story_cards(
    stories: Iterable[Story], links: Links | None = None, now: datetime | None = None
) -> list[Card]:
    """Cards for these stories (in their order): one query, however many stories and reports."""
    stories = list(stories)
    if not stories:
        return []
    links = links or Links()
    now = now or timezone.now()
    by_story: dict[int, list[dict[str, Any]]] = {}
    for row in _card_members([s.pk for s in stories]):
        by_story.setdefault(row["story_id"], []).append(row)
    cards = []
    for story in stories:
        rows = by_story.get(story.pk, [])
        card = Card(story, links.story(story.pk), when=when(story.last_published_at, now))
        with_image = next((r for r in rows if r["image_rank"] == 1 and r["lead_image"]), None)
        if with_image is not None:
            card.image, card.image_alt = with_image["lead_image"], with_image["title"]
        reports = [r for r in rows if r["outlet_rank"] == 1 and r["story_rank"] <= MEMBER_SCAN]
        card.outlets = [
            Outlet(r["source__name"], links.source(r["source_id"])) for r in reports[:OUTLET_NAMES]
        ]
        card.more_outlets = max(0, story.source_count - len(card.outlets))
        headline = " ".join(story.headline.split()).casefold()
        first_outlet = reports[0]["source_id"] if reports else None
        others = [
            r
            for r in reports
            if r["source_id"] != first_outlet and " ".join(r["title"].split()).casefold() != headline
        ]
        card.related = [
            Headline(
                r["title"],
                links.article(r["id"]),
                r["source__name"],
                links.source(r["source_id"]),
                when(r["sort_at"], now),
            )
            for r in others[:RELATED_HEADLINES]
        ]
        cards.append(card)
    return cards


# ---------------------------------------------------------------------------------------------
# Sections: hashtags and places, trending and followed


@dataclass
class Section:
    """A hashtag or place with its newest independent articles."""

    kind: str  # "tag" or "place"
    pk: int
    title: str
    href: str
    stories_href: str
    followed: bool = False
    count: int = 0  # independent articles in the desk's last day (trending sections)
    items: list[Headline] = field(default_factory=list)


def _recent(now: datetime, since: timedelta, prefix: str = "article__") -> Q:
    return Q(
        **{
            f"{prefix}sort_at__gte": now - since,
            f"{prefix}sort_at__lte": now,
            f"{prefix}duplicate_of__isnull": True,
        }
    )


def trending_tags(now: datetime, count: int = TRENDING_TAGS) -> list[Section]:
    """The hashtags of most independent articles in the desk's last day: one query."""
    rows = (
        ArticleTag.objects.filter(_recent(now, TRENDING_WINDOW))
        .values("tag_id", "tag__name", "tag__slug")
        .annotate(n=Count("article_id"))
        .order_by("-n", "tag_id")[:count]
    )
    return [_tag_section(r["tag_id"], r["tag__name"], r["tag__slug"], count=r["n"]) for r in rows]


def trending_places(now: datetime, count: int = TRENDING_PLACES) -> list[Section]:
    """The places of most independent articles in the desk's last day: one query."""
    rows = (
        ArticleEntity.objects.filter(_recent(now, TRENDING_WINDOW), entity__kind=EntityKind.PLACE)
        .values("entity_id", "entity__name")
        .annotate(n=Count("article_id"))
        .order_by("-n", "entity_id")[:count]
    )
    return [_place_section(r["entity_id"], r["entity__name"], count=r["n"]) for r in rows]


def _tag_section(pk: int, name: str, slug: str, **extra: Any) -> Section:
    href = reverse("news:tag", args=[slug])
    return Section("tag", pk, f"#{name}", href, _stories_link(tag=slug), **extra)


def _place_section(pk: int, name: str, **extra: Any) -> Section:
    href = reverse("news:entity", args=[pk])
    return Section("place", pk, name, href, _stories_link(place=str(pk)), **extra)


def _stories_link(**filters: str) -> str:
    return reverse("news:stories") + "?" + urlencode(filters)


def fill_sections(sections: list[Section], now: datetime, links: Links | None = None) -> list[Section]:
    """Each section's newest independent articles within SECTION_WINDOW of ``now``, one per story:
    one query per kind present (at most two). Sections left empty are dropped.

    The newest ``SECTION_SCAN`` links of each section are ranked from indexes alone (the window's
    articles by time, each one's links by the unique (article, tag|entity) index); only their
    articles' rows are read, then copies and a story's second article are left out here.
    """
    links = links or Links()
    wall = timezone.now()
    for kind, model, key in (("tag", ArticleTag, "tag_id"), ("place", ArticleEntity, "entity_id")):
        wanted = {s.pk: s for s in sections if s.kind == kind}
        if not wanted:
            continue
        window = Q(article__sort_at__gte=now - SECTION_WINDOW, article__sort_at__lte=now)
        newest = [F("article__sort_at").desc(), F("article_id").desc()]
        picked = (
            # ``key + 0``: no index on it, so the database walks the window's articles by time (a
            # range of the newest-first index) and probes their links, rather than every link of a
            # busy hashtag (a fifth of the archive at 100k) and each one's article.
            model.objects.filter(window)
            .alias(unindexed=F(key) + 0)
            .filter(unindexed__in=list(wanted))
            .annotate(item_rank=Window(RowNumber(), partition_by=[F(key)], order_by=newest))
            .filter(item_rank__lte=SECTION_SCAN)
            .values("article_id")
        )
        rows = (
            model.objects.filter(article_id__in=Subquery(picked), article__duplicate_of__isnull=True)
            .alias(unindexed=F(key) + 0)
            .filter(unindexed__in=list(wanted))
            .values(
                key,
                "article_id",
                "article__title",
                "article__story_id",
                "article__source_id",
                "article__source__name",
                "article__sort_at",
            )
            .order_by(key, "-article__sort_at", "-article_id")
        )
        seen: set[tuple[int, int]] = set()
        for row in rows:
            section = wanted[row[key]]
            story_key = (section.pk, row["article__story_id"] or -row["article_id"])
            if len(section.items) >= SECTION_ITEMS or story_key in seen:
                continue
            seen.add(story_key)
            section.items.append(
                Headline(
                    row["article__title"],
                    links.article(row["article_id"]),
                    row["article__source__name"],
                    links.source(row["article__source_id"]),
                    when(row["article__sort_at"], wall),
                )
            )
    return [s for s in sections if s.items]


def followed_sections(user: Any, limit: int = FOLLOWED_SECTIONS) -> list[Section]:
    """The hashtags and places the reader follows, newest follows first: one query."""
    from newsdesk.readers.models import Follow, FollowKind

    follows = (
        Follow.objects.filter(user=user)
        .filter(Q(kind=FollowKind.TAG) | Q(kind=FollowKind.ENTITY, entity__kind=EntityKind.PLACE))
        .select_related("tag", "entity")
        .order_by("-created_at", "-id")[:limit]
    )
    sections = []
    for follow in follows:
        if follow.tag is not None:
            sections.append(_tag_section(follow.tag.pk, follow.tag.name, follow.tag.slug, followed=True))
        elif follow.entity is not None:
            sections.append(_place_section(follow.entity.pk, follow.entity.name, followed=True))
    return sections


def desk_headlines(
    user: Any, limit: int = DESK_ITEMS, links: Links | None = None
) -> tuple[bool, list[Headline]]:
    """The newest of My desk (``readers.reading.desk_articles``, rules applied): whether the reader
    follows anything, and the headlines. Two queries (the rules, the articles)."""
    from newsdesk.readers import reading, subscriptions

    links = links or Links()
    rules = subscriptions.rule_filter(user)
    now = timezone.now()
    articles = list(reading.desk_articles(user, rules=rules)[:limit])
    followed = bool(articles) or rules.subscribed > 0
    headlines = [
        Headline(
            a.title,
            links.article(a.pk),
            a.source.name,
            links.source(a.source_id),
            when(a.sort_at, now),
            read=bool(getattr(a, "is_read", False)),
        )
        for a in articles
    ]
    return followed, headlines


# ---------------------------------------------------------------------------------------------
# The home page


def _page_size() -> int:
    return int(settings.NEWSDESK.page_size)


def _position(request: HttpRequest) -> list[object]:
    return [request.GET.get("before", ""), request.GET.get("after", "")]


def _first_page(request: HttpRequest) -> bool:
    return not (request.GET.get("before") or request.GET.get("after"))


def front_context(request: HttpRequest) -> dict[str, Any]:
    """What the shared part of the home page shows (nothing about the reader): top stories,
    trending sections and a keyset page of the latest articles.

    The first page: 9 queries (the page, the feeds, candidates, cards, trending hashtags and places
    and their articles); later pages: the page only.
    """
    links = Links()
    page = keyset.newest_first(Article.objects.listing(), request.GET, _page_size())
    context: dict[str, Any] = {"page": page, "paths": links, "items": links.items(page)}
    if page.newer:
        return context
    # The first page's first article is the newest: the desk's time without another query.
    now = desk_now(page.items[0].sort_at if page.items else None)
    feeds = feed_state()
    stories = top_stories(now)
    sections: list[Section] = []
    if now is not None:
        sections = fill_sections([*trending_tags(now), *trending_places(now)], now, links)
    context.update(
        first=True,
        feeds=feeds,
        cards=story_cards(stories, links),
        sections=sections,
        desk_time=now,
        archive=now is not None and timezone.now() - now > timedelta(days=2),
    )
    return context


def home(request: HttpRequest) -> HttpResponse:
    """The front page: top stories as cards, trending hashtags and places, the latest articles.

    A signed-in reader's page starts with their own desk and followed hashtags and places
    (rendered per request, around the shared fragment); an anonymous visitor gets the same page as
    everyone, kept whole. ``/?q=`` is a search (a reader's home page box or an old bookmark).
    """
    query = request.GET.get("q", "").strip()
    if query:
        return redirect(reverse("search:search") + "?" + urlencode({"q": query}))
    version = pagecache.store_version()

    def shared() -> SafeString:
        return pagecache.fragment(
            version,
            "front",
            _position(request),
            lambda: render_to_string("news/_home_listing.html", front_context(request)),
        )

    if request.user.is_authenticated:
        context: dict[str, Any] = {"listing": shared()}
        if _first_page(request):
            links = Links()
            followed, desk = desk_headlines(request.user, links=links)
            desk_time = desk_now(newest_time())
            mine = followed_sections(request.user)
            context.update(
                reader=True,
                follows_anything=followed or bool(mine),
                desk=desk,
                followed=fill_sections(mine, desk_time, links) if mine and desk_time else [],
            )
        return render(request, "news/home.html", context)
    # Every anonymous visitor gets the same page (the most visited one): kept whole, once per look
    # (theme and text size, which base.html renders from the visitor's cookies).
    key = pagecache.fragment_key(
        version, "front-anonymous", [*_position(request), *pwa.page_variant(request)]
    )
    html = pagecache.kept(key)
    if html is None:
        html = render_to_string("news/home.html", {"listing": shared()}, request=request)
        # never keep a page with a CSRF token, or with a message meant for this visitor only
        shown_messages = getattr(messages.get_messages(request), "used", False)
        if not request.META.get("CSRF_COOKIE_NEEDS_UPDATE") and not shown_messages:
            pagecache.keep(key, html)
    return HttpResponse(html)


# ---------------------------------------------------------------------------------------------
# The stories index


@dataclass
class StoryFilters:
    """The stories index's filters, read from GET; each narrows the stories to those with a report
    that matches (tag, place, outlet, language) or a span that meets the dates."""

    tag: str = ""
    place: str = ""
    outlet: str = ""
    language: str = ""
    start: date | None = None
    end: date | None = None
    # What the filters named, found (None: named but not found).
    tag_found: Tag | None = None
    place_found: Entity | None = None
    outlet_found: Source | None = None

    @property
    def any(self) -> bool:
        return bool(self.tag or self.place or self.outlet or self.language or self.start or self.end)

    @property
    def missing(self) -> list[str]:
        """Filters that name nothing on this desk, in words."""
        gone = []
        if self.tag and self.tag_found is None:
            gone.append(f"no hashtag #{self.tag}")
        if self.place and self.place_found is None:
            gone.append(f"no place {self.place}")
        if self.outlet and self.outlet_found is None:
            gone.append(f"no outlet {self.outlet}")
        return gone

    def described(self) -> list[str]:
        """The active filters in words, for the page and its empty result."""
        words = []
        if self.tag:
            words.append(f"hashtag #{self.tag_found.name if self.tag_found else self.tag}")
        if self.place:
            words.append(f"place {self.place_found.name if self.place_found else self.place}")
        if self.outlet:
            words.append(f"outlet {self.outlet_found.name if self.outlet_found else self.outlet}")
        if self.language:
            words.append(f"language {self.language}")
        if self.start:
            words.append(f"from {self.start.isoformat()}")
        if self.end:
            words.append(f"to {self.end.isoformat()}")
        return words

    def query(self) -> dict[str, str]:
        """The filters as GET parameters (for the pager's links)."""
        values = {
            "tag": self.tag,
            "place": self.place,
            "outlet": self.outlet,
            "language": self.language,
            "from": self.start.isoformat() if self.start else "",
            "to": self.end.isoformat() if self.end else "",
        }
        return {name: value for name, value in values.items() if value}


def _date(raw: str, name: str) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        if len(raw) != 10 or not raw.isascii():
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise keyset.BadParameter(f"{name} must be a date written YYYY-MM-DD") from None


def read_filters(params: Mapping[str, str]) -> StoryFilters:
    """The filters of a GET query; raises keyset.BadParameter naming a malformed one."""
    text = {
        name: keyset.plain_text(params.get(name, ""), name, limit).strip()
        for name, limit in (("tag", 100), ("place", 300), ("outlet", 253), ("language", 16))
    }
    language = text["language"].lower()
    if language and not LANGUAGE.match(language):
        raise keyset.BadParameter("language must be a language code such as en or pt-br")
    filters = StoryFilters(
        tag=text["tag"],
        place=text["place"],
        outlet=text["outlet"],
        language=language,
        start=_date(params.get("from", ""), "from"),
        end=_date(params.get("to", ""), "to"),
    )
    if filters.start and filters.end and filters.start > filters.end:
        raise keyset.BadParameter("from must not be after to")
    return filters


def _by_id_or_name(raw: str) -> Q:
    if raw.isascii() and raw.isdigit():
        return Q(pk=keyset.whole_number(raw, "id", 1, keyset.MAX_ID))
    return Q(name__iexact=raw)


def resolve(filters: StoryFilters) -> StoryFilters:
    """Find what the filters name: a query for each named hashtag, place or outlet."""
    if filters.tag:
        filters.tag_found = Tag.objects.filter(
            Q(slug=filters.tag.lstrip("#")) | Q(name__iexact=filters.tag.lstrip("#"))
        ).first()
    if filters.place:
        filters.place_found = (
            Entity.objects.filter(_by_id_or_name(filters.place), kind=EntityKind.PLACE)
            .order_by("-article_count", "id")
            .first()
        )
    if filters.outlet:
        filters.outlet_found = Source.objects.filter(
            _by_id_or_name(filters.outlet) | Q(domain__iexact=filters.outlet)
        ).first()
    return filters


def filtered_stories(filters: StoryFilters) -> QuerySet[Story]:
    """Unmerged stories of at least MIN_ARTICLES reports matching the (resolved) filters, with
    ``sort_at`` (their latest report) annotated for keyset paging."""
    stories = Story.objects.filter(
        merged_into__isnull=True, article_count__gte=MIN_ARTICLES, last_published_at__isnull=False
    )
    if filters.missing:
        return _keyed(stories.none())
    reports: list[Q] = []
    if filters.tag_found is not None:
        reports.append(Q(pk__in=ArticleTag.objects.filter(tag=filters.tag_found).values("article_id")))
    if filters.place_found is not None:
        reports.append(
            Q(pk__in=ArticleEntity.objects.filter(entity=filters.place_found).values("article_id"))
        )
    if filters.outlet_found is not None:
        reports.append(Q(source=filters.outlet_found))
    if filters.language:
        reports.append(Q(language=filters.language) | Q(language="", source__language=filters.language))
    for condition in reports:
        matching = Article.objects.filter(condition, story_id__isnull=False).values("story_id")
        stories = stories.filter(pk__in=matching)
    if filters.start:
        stories = stories.filter(last_published_at__gte=datetime.combine(filters.start, time.min, UTC))
    if filters.end:
        end = datetime.combine(filters.end + timedelta(days=1), time.min, UTC)
        stories = stories.filter(
            Q(first_published_at__lt=end) | Q(first_published_at__isnull=True, last_published_at__lt=end)
        )
    return _keyed(stories)


def _keyed(stories: QuerySet[Story]) -> QuerySet[Story]:
    """Stories with ``sort_at`` (their latest report), the key news.keyset pages by."""
    return stories.annotate(sort_at=F("last_published_at")).only(*CARD_FIELDS)


def _with_filters(link: str | None, filters: StoryFilters) -> str | None:
    if link is None:
        return None
    query = filters.query()
    return f"{urlencode(query)}&{link}" if query else link


def stories_index(request: HttpRequest) -> HttpResponse:
    """Every story, latest report first, a keyset page at a time, filtered by a GET form.

    Queries: one per named hashtag, place or outlet, the page of stories, their cards' members.
    """
    try:
        filters = resolve(read_filters(request.GET))
        page = keyset.newest_first(filtered_stories(filters), request.GET, _page_size())
    except keyset.BadParameter as problem:
        raise BadRequest(str(problem)) from None  # a 400 in the site's layout (newsdesk.desk.errors)
    page.newer = _with_filters(page.newer, filters)
    page.older = _with_filters(page.older, filters)
    context = {
        "filters": filters,
        "described": filters.described(),
        "cards": story_cards(page.items),
        "page": page,
        "compact": True,
    }
    return render(request, "news/stories.html", context)
