"""The front page of stories and the stories index (news/frontpage.py): ranking at the desk's own
time, copies counted once, cards, sections, empty states, filters and constant query counts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from newsdesk.news import frontpage
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

pytestmark = pytest.mark.django_db

_made = {"n": 0}


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    caches["default"].clear()


def outlet(n: int, **extra: Any) -> Source:
    return Source.objects.get_or_create(
        domain=f"outlet{n}.example", defaults={"name": f"Outlet {n}", "language": "en", **extra}
    )[0]


def article(source: Source, title: str, at: datetime, story: Story | None = None, **extra: Any) -> Article:
    _made["n"] += 1
    return Article.objects.create(
        source=source,
        url=f"https://{source.domain}/a/{_made['n']}",
        title=title,
        text=f"{title}. " * 5,
        published_at=at,
        story=story,
        **extra,
    )


def story(
    headline: str,
    at: datetime,
    outlets: int,
    *,
    copies: bool = False,
    developing: bool = False,
    first_outlet: int = 0,
    image: str = "",
) -> Story:
    """A story of one report per outlet (``copies``: all but the first are near-copies of it)."""
    made = Story.objects.create(headline=headline, developing=developing)
    members: list[Article] = []
    for k in range(outlets):
        when = at - timedelta(minutes=10 * (outlets - 1 - k))
        title = headline if k == 0 else f"{headline}: report {k + 1}"
        original = members[0] if copies and members else None
        members.append(
            article(
                outlet(first_outlet + k),
                title,
                when,
                made,
                duplicate_of=original,
                lead_image=image if k == 0 else "",
            )
        )
    Story.objects.filter(pk=made.pk).update(
        article_count=len(members),
        source_count=len({a.source_id for a in members}),
        first_published_at=min(a.sort_at for a in members),
        last_published_at=max(a.sort_at for a in members),
    )
    made.refresh_from_db()
    return made


def get(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def count(client: Client, url: str) -> tuple[int, str]:
    caches["default"].clear()
    with CaptureQueriesContext(connection) as queries:
        body = get(client, url)
    return len(queries), body


def top_section(body: str) -> str:
    start = body.index('class="top-stories"')
    return body[start : body.index("</section>", start)]


# ---------------------------------------------------------------------------------------------
# Ranking


def test_it_ranks_an_archive_by_its_own_newest_article_not_the_wall_clock(client: Client) -> None:
    long_ago = timezone.now() - timedelta(days=730)
    old = story("Harbour bridge reopens after two years", long_ago - timedelta(days=1), 4)
    new = story("Storm closes the northern ferry routes", long_ago, 3)
    assert [s.pk for s in frontpage.top_stories(frontpage.desk_now(frontpage.newest_time()))] == [
        new.pk,
        old.pk,
    ]
    body = get(client, "/")
    top = top_section(body)
    assert "Storm closes the northern ferry routes" in top and "Harbour bridge reopens" in top
    assert "The newest article on this desk is from" in body  # the page says whose time it is


def test_it_counts_copies_of_one_wire_text_once(client: Client) -> None:
    now = timezone.now() - timedelta(hours=1)
    wire = story("Wire: minister resigns over budget", now, 10, copies=True)
    independent = story(
        "Four outlets report the dam's opening", now - timedelta(minutes=5), 4, first_outlet=20
    )
    ranked = frontpage.top_stories(now)
    assert [s.pk for s in ranked] == [independent.pk, wire.pk]
    assert ranked[1].independent == 1 and ranked[0].independent == 4
    top = top_section(get(client, "/"))
    assert top.index("Four outlets report") < top.index("Wire: minister resigns")
    assert "1 independent report" in top  # the wire story says so


def test_the_weight_halves_every_half_life() -> None:
    now = datetime(2024, 5, 1, 12, tzinfo=UTC)
    fresh = frontpage.story_weight(4, 4, now, now)
    assert fresh == 4
    assert frontpage.story_weight(4, 4, now - frontpage.HALF_LIFE, now) == pytest.approx(2)
    assert frontpage.story_weight(10, 1, now, now) == pytest.approx(1 + 9 * frontpage.COPY_WEIGHT)
    # A later article dated in the future does not become the desk's time.
    assert frontpage.desk_now(now + timedelta(days=3), wall=now) == now


def test_it_leaves_out_merged_stories_and_single_reports(client: Client) -> None:
    now = timezone.now() - timedelta(hours=1)
    kept = story("Kept story", now, 3)
    merged = story("Merged away story", now, 5, first_outlet=10)
    Story.objects.filter(pk=merged.pk).update(merged_into=kept)
    story("A lone report", now, 1, first_outlet=30)
    assert [s.pk for s in frontpage.top_stories(now)] == [kept.pk]


# ---------------------------------------------------------------------------------------------
# Cards


def test_a_card_shows_outlets_developing_related_headlines_and_time(client: Client) -> None:
    now = timezone.now() - timedelta(hours=2)
    made = story(
        "Flooding in the river valley", now, 8, developing=True, image="https://img.example/flood.jpg"
    )
    top = top_section(get(client, "/"))
    assert 'class="ribbon">Developing<' in top
    assert "8 outlets" in top
    names = re.findall(r'<li><a href="/sources/\d+/">(Outlet \d+)</a></li>', top)
    assert names == [f"Outlet {k}" for k in range(frontpage.OUTLET_NAMES)]  # first reporters first
    assert '<li class="more">+3</li>' in top
    related = re.findall(r'<li><a href="/articles/\d+/">(Flooding in the river valley: report \d+)</a>', top)
    assert related == [f"Flooding in the river valley: report {k}" for k in (2, 3, 4)]
    assert "2 hours ago" in top and f'href="/stories/{made.pk}/"' in top
    cards = frontpage.story_cards([made])
    assert cards[0].image == "https://img.example/flood.jpg" and cards[0].image_alt == made.headline


def test_cards_take_constant_queries_for_5_and_50_stories(django_assert_num_queries: Any) -> None:
    now = timezone.now()
    few = [story(f"Story {n}", now - timedelta(minutes=n), 3) for n in range(5)]
    many = few + [
        story(f"Story {n}", now - timedelta(minutes=n), 3, first_outlet=n % 7) for n in range(5, 50)
    ]
    with django_assert_num_queries(1):
        small = frontpage.story_cards(few)
    with django_assert_num_queries(1):
        large = frontpage.story_cards(many)
    assert len(small) == 5 and len(large) == 50 and all(card.outlets for card in large)


def test_the_home_page_takes_constant_queries(client: Client) -> None:
    now = timezone.now() - timedelta(hours=1)
    tag = Tag.objects.create(name="harbour", slug="harbour")
    place = Entity.objects.create(name="Eastport", kind=EntityKind.PLACE, key="eastport")

    def grow(stories: int, start: int) -> None:
        for n in range(start, start + stories):
            made = story(f"Event number {n}", now - timedelta(minutes=n), 3, first_outlet=n % 9)
            for member in made.articles.all():
                ArticleTag.objects.create(article=member, tag=tag)
                ArticleEntity.objects.create(article=member, entity=place)

    grow(5, 0)
    small, body = count(client, "/")
    assert "Event number 0" in body and "#harbour" in body and "Eastport" in body
    grow(45, 5)
    large, _ = count(client, "/")
    # The store's version, the page of articles, the feeds, the candidates, the cards, trending
    # hashtags and places, and the sections' articles (one query per kind).
    assert small == large == 9
    kept, _ = _count_kept(client)
    assert kept == 1  # the store's version: the anonymous page is kept whole


def _count_kept(client: Client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        body = get(client, "/")
    return len(queries), body


# ---------------------------------------------------------------------------------------------
# Sections and the reader's desk


def test_trending_sections_are_the_busiest_of_the_desks_last_day(client: Client) -> None:
    now = timezone.now() - timedelta(days=400)  # an archive: its day, not today
    busy, quiet = (
        Tag.objects.create(name="election", slug="election"),
        Tag.objects.create(name="tides", slug="tides"),
    )
    old = Tag.objects.create(name="oldnews", slug="oldnews")
    for n in range(4):
        ArticleTag.objects.create(
            article=article(outlet(n), f"Vote count {n}", now - timedelta(hours=n)), tag=busy
        )
    ArticleTag.objects.create(
        article=article(outlet(1), "Low tide record", now - timedelta(hours=2)), tag=quiet
    )
    for n in range(6):
        ArticleTag.objects.create(
            article=article(outlet(n), f"Old {n}", now - timedelta(days=3, hours=n)), tag=old
        )
    sections = frontpage.trending_tags(now)
    assert [(s.title, s.count) for s in sections[:2]] == [("#election", 4), ("#tides", 1)]
    assert all(s.title != "#oldnews" for s in sections)
    body = get(client, "/")
    trending = body[body.index('class="trending"') :]
    assert trending.index("#election") < trending.index("#tides") and "Vote count 0" in trending
    assert 'href="/stories/?tag=election"' in trending


def test_a_signed_in_reader_sees_their_desk_first(client: Client, django_user_model: Any) -> None:
    from newsdesk.readers.models import Follow, FollowKind

    now = timezone.now() - timedelta(hours=1)
    story("Top of the desk story", now, 3)
    mine = outlet(42, name="My Gazette")
    article(mine, "Gazette: the council votes", now - timedelta(minutes=30))
    place = Entity.objects.create(name="Northfield", kind=EntityKind.PLACE, key="northfield")
    ArticleEntity.objects.create(article=article(outlet(3), "Northfield fair opens", now), entity=place)
    reader = django_user_model.objects.create_user("ada", password="a long passphrase here")
    Follow.objects.create(user=reader, kind=FollowKind.SOURCE, source=mine)
    Follow.objects.create(user=reader, kind=FollowKind.ENTITY, entity=place)
    client.force_login(reader)
    body = get(client, "/")
    assert body.index("Your desk") < body.index("Top stories") < body.index("Latest news")
    desk = body[body.index("Your desk") : body.index("Top stories")]
    assert "Gazette: the council votes" in desk and "Northfield fair opens" in desk and "Following" in desk
    anonymous = get(Client(), "/")
    assert "Your desk" not in anonymous and "Gazette: the council votes" in anonymous
    # The shared part was kept for everyone; the reader's part never is.
    other = django_user_model.objects.create_user("bob", password="a long passphrase here")
    second = Client()
    second.force_login(other)
    theirs = get(second, "/")
    assert "Your desk" in theirs and "Northfield fair opens" not in theirs[: theirs.index("Top stories")]


def test_the_anonymous_page_is_kept_and_later_pages_show_only_articles(client: Client, settings: Any) -> None:
    import dataclasses

    settings.NEWSDESK = dataclasses.replace(settings.NEWSDESK, page_size=3)
    story("A story with a few reports", timezone.now() - timedelta(hours=1), 5)
    built, first = count(client, "/")
    assert built > 1
    kept, again = _count_kept(client)
    assert kept == 1 and again == first
    older = re.search(r'href="\?(before=[^"]+)"', first)
    assert older is not None
    queries, second = count(client, "/?" + older.group(1))
    assert queries == 2 and "Top stories" not in second and "Latest news" in second


# ---------------------------------------------------------------------------------------------
# Empty states


def test_an_empty_desk_without_feeds_says_add_feeds(client: Client) -> None:
    body = get(client, "/")
    assert "No feeds yet. Add feeds:" in body and 'href="/feeds/"' in body and "Latest news" in body


def test_a_desk_whose_feeds_all_fail_says_so(client: Client) -> None:
    source = outlet(1)
    for n in range(15):
        Feed.objects.create(
            url=f"https://outlet1.example/{n}.xml", source=source, consecutive_errors=3, last_error="DNS"
        )
    body = get(client, "/")
    assert "15 feeds are failing: no network? see" in body
    article(source, "Fetched before the outage", timezone.now() - timedelta(hours=1))
    body = get(client, "/")
    assert "All 15 feeds are failing: no network?" in body and "Fetched before the outage" in body


def test_new_feeds_and_articles_without_stories_say_what_waits(client: Client) -> None:
    source = outlet(1)
    Feed.objects.create(url="https://outlet1.example/feed.xml", source=source)
    assert "1 feed is new and not fetched yet" in get(client, "/")
    article(source, "A first article", timezone.now() - timedelta(hours=1))
    body = get(client, "/")
    assert "No stories yet:" in body and "A first article" in body


# ---------------------------------------------------------------------------------------------
# The stories index


@pytest.fixture
def world() -> dict[str, Story]:
    now = datetime(2025, 3, 10, 12, tzinfo=UTC)
    made = {
        "harbour": story("Harbour strike enters second week", now, 3),
        "vote": story("Council vote on the tram line", now - timedelta(days=5), 2, first_outlet=5),
        "fair": story("Northfield fair opens", now - timedelta(days=20), 2, first_outlet=8),
    }
    tag = Tag.objects.create(name="harbour", slug="harbour")
    for member in made["harbour"].articles.all():
        ArticleTag.objects.create(article=member, tag=tag)
    place = Entity.objects.create(name="Northfield", kind=EntityKind.PLACE, key="northfield")
    ArticleEntity.objects.create(article=made["fair"].articles.first(), entity=place)
    Article.objects.filter(story=made["vote"]).update(language="pt")
    return made


def listed(body: str) -> list[str]:
    return re.findall(r'<h3 class="card-title"><a href="/stories/\d+/">([^<]+)</a>', body)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["harbour", "vote", "fair"]),
        ("tag=harbour", ["harbour"]),
        ("place=Northfield", ["fair"]),
        ("outlet=outlet5.example", ["vote"]),
        ("outlet=Outlet+0", ["harbour"]),
        ("language=pt", ["vote"]),
        ("from=2025-03-01", ["harbour", "vote"]),
        ("to=2025-03-01", ["fair"]),
        ("from=2025-03-04&to=2025-03-06", ["vote"]),
        ("tag=harbour&language=pt", []),
    ],
)
def test_the_stories_index_filters_narrow(
    client: Client, world: dict[str, Story], query: str, expected: list[str]
) -> None:
    body = get(client, "/stories/?" + query)
    assert listed(body) == [world[name].headline for name in expected]
    if not expected:
        assert "No story with two or more reports matches hashtag #harbour, language pt" in body


def test_the_stories_index_explains_an_unknown_filter_and_refuses_a_bad_one(
    client: Client, world: dict[str, Story]
) -> None:
    body = get(client, "/stories/?tag=nothing-here")
    assert "this desk has no hashtag #nothing-here" in body and 'href="/stories/"' in body
    for bad in ("from=yesterday", "language=%3Cscript%3E", "tag=a%00b", "from=2025-03-05&to=2025-03-01"):
        assert client.get("/stories/?" + bad).status_code == 400, bad


def test_the_stories_index_pages_by_keyset_keeping_its_filters(
    client: Client, world: dict[str, Story], settings: Any
) -> None:
    import dataclasses
    import html

    settings.NEWSDESK = dataclasses.replace(settings.NEWSDESK, page_size=1)
    first = get(client, "/stories/?from=2025-01-01")
    assert listed(first) == [world["harbour"].headline]
    older = re.search(r'rel="next" href="\?([^"]+)"', first)
    assert older is not None and "from=2025-01-01" in html.unescape(older.group(1))
    second = get(client, "/stories/?" + html.unescape(older.group(1)))
    assert listed(second) == [world["vote"].headline]


def test_the_stories_index_takes_constant_queries(client: Client) -> None:
    now = timezone.now()
    for n in range(3):
        story(f"Small {n}", now - timedelta(hours=n), 2)
    small, _ = count(client, "/stories/")
    for n in range(3, 30):
        story(f"Small {n}", now - timedelta(hours=n), 3, first_outlet=n % 5)
    large, body = count(client, "/stories/")
    assert small == large == 2  # the page of stories and their cards
    assert 'name="tag"' in body and 'method="get"' in body


def test_cards_show_the_cached_lead_image_sized_and_lazy_after_the_first(client: Client, server: Any) -> None:
    import io

    from PIL import Image

    from newsdesk.news import images
    from tests.fixtures.server import Answer

    out = io.BytesIO()
    Image.new("RGB", (800, 450), (40, 90, 160)).save(out, format="PNG")
    urls = []
    for name in ("lead", "second"):
        server.routes[f"/{name}.png"] = Answer(out.getvalue(), 200, {"Content-Type": "image/png"})
        urls.append(server.url(f"/{name}.png"))
    images.reset_image_fetcher()
    try:
        for url in urls:
            assert images.cache_image(url) is not None
    finally:
        images.reset_image_fetcher()
    now = timezone.now() - timedelta(hours=1)
    story("Bridge opens with a parade", now, 5, image=urls[0])
    story("Ferry strike ends", now - timedelta(hours=1), 3, first_outlet=10, image=urls[1])
    story("Council meets without pictures", now - timedelta(hours=2), 2, first_outlet=20)
    top = top_section(get(client, "/"))
    pictures = re.findall(r"<img [^>]+>", top)
    assert len(pictures) == 2 and server.url("") not in top  # from the local cache only
    first, second = pictures
    assert f'src="/img/{images.source_key(urls[0])}/640/"' in first and 'loading="lazy"' not in first
    assert 'width="640" height="360"' in first and 'alt="Bridge opens with a parade"' in first
    assert f'src="/img/{images.source_key(urls[1])}/320/"' in second and 'loading="lazy"' in second
