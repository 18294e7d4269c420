"""axe-core on every main page in Debian's chromium, at 375 px and 1280 px, light and dark (the
browser's color_scheme emulation): no serious or critical violation.

axe comes from npm (``npm ci --prefix tools``: tools/node_modules/axe-core/axe.min.js) and is given
to the page as an init script, which the page's Content-Security-Policy does not govern, so every
page is checked under its real policy. Skipped, saying why, without chromium, playwright or axe.

Every violation found (any impact) is written to NEWSDESK_SCREENSHOTS/axe/<page>.json with a
screenshot of each width and scheme, so the lesser ones can be read and fixed too.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tests.browser.conftest import SCREENSHOTS, skip_reason

TOOLS = Path(__file__).resolve().parents[2] / "tools"
AXE = Path(os.environ.get("NEWSDESK_AXE", TOOLS / "node_modules" / "axe-core" / "axe.min.js"))

if skip_reason():
    pytest.skip(str(skip_reason()), allow_module_level=True)
if not AXE.is_file():
    pytest.skip(f"no axe-core at {AXE} (run `npm ci --prefix tools`)", allow_module_level=True)

from playwright.sync_api import Browser, Page  # noqa: E402

from newsdesk.community.markdown import render_comment  # noqa: E402
from newsdesk.community.models import Comment, CommentStatus, Profile  # noqa: E402
from newsdesk.news.models import (  # noqa: E402
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
    make_excerpt,
)
from newsdesk.readers.models import Follow, FollowKind, SavedArticle  # noqa: E402

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"
SEVERE = ("serious", "critical")
VIEWS = [(375, 812), (1280, 900)]
SCHEMES = ("light", "dark")
#: WCAG 2.x A and AA and the best-practice rules (landmarks, headings, regions).
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}
}


@pytest.fixture(autouse=True)
def _fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.DEBUG = False


# ---------------------------------------------------------------------------------------------
# A desk that looks like one: three outlets reporting one story, quotes, people, places, hashtags


REPORTS = [
    (
        "courier",
        "Harbour reopens to ferries after storm repairs finish early",
        "Ferries returned to Eastport harbour on Monday after engineers finished repairs to the "
        "storm-damaged north pier two weeks ahead of schedule.",
    ),
    (
        "herald",
        "Eastport harbour back in business as north pier repairs end",
        "The north pier at Eastport reopened on Monday, ending a month in which ferry passengers "
        "were sent thirty miles along the coast to Westbay.",
    ),
    (
        "wire",
        "Storm-hit Eastport harbour reopens after month-long closure",
        "Eastport's harbour reopened to passenger ferries on Monday, the port authority said, "
        "after a month of repairs costing an estimated 4.2 million pounds.",
    ),
    (
        "courier",
        "Council to debate harbour fees after reopening",
        "Councillors will debate next week whether to raise harbour fees to pay for the repairs.",
    ),
    (
        "herald",
        "Fishing fleet counts the cost of the long closure",
        "Skippers say a month without the north pier cost them a season's best catch.",
    ),
    ("wire", "Rail strike called off after late-night talks", "Train drivers called off Friday's strike."),
    (
        "courier",
        "School roof fund doubles after appeal",
        "A fund to repair the roof of Eastport Primary has doubled after a public appeal.",
    ),
    (
        "herald",
        "Weather: a dry, bright week ahead for the coast",
        "Forecasters expect high pressure to bring a dry week.",
    ),
]

QUOTES = [
    ("We are delighted to welcome passengers back two weeks early.", "Maria Lindqvist", "harbour master"),
    ("The repairs came in under budget, which is rare for a job this size.", "Maria Lindqvist", ""),
    ("It has been a very hard month for the families who rely on the ferry.", "", "a local shopkeeper"),
]


def seed_desk() -> dict[str, Any]:
    """Sources, feeds (one failing with a long error), a story of five reports, entities, quotes,
    hashtags, a comment; returns what the pages need."""
    now = timezone.now().replace(microsecond=0)
    outlets = {
        "courier": Source.objects.create(
            name="Eastport Courier",
            domain="courier.example",
            homepage="https://courier.example/",
            country="GB",
            language="en",
            ownership=Ownership.values[0],
        ),
        "herald": Source.objects.create(
            name="Westbay Herald",
            domain="herald.example",
            homepage="https://herald.example/",
            country="GB",
            language="en",
            ownership=Ownership.values[-1],
        ),
        "wire": Source.objects.create(
            name="Coastal Press Agency",
            domain="wire.example",
            homepage="https://wire.example/",
            country="IE",
            language="en",
        ),
    }
    feeds = {
        key: Feed.objects.create(
            url=f"https://{source.domain}/feeds/all.xml",
            source=source,
            title=f"{source.name}: all news",
            last_success_at=now - timedelta(minutes=20),
            next_fetch_at=now + timedelta(minutes=10),
        )
        for key, source in outlets.items()
    }
    Feed.objects.create(
        url="https://herald.example/feeds/very/long/path/to/a/section/that/keeps/going/and-going-and-going.xml",
        source=outlets["herald"],
        consecutive_errors=7,
        last_error="Could not connect to herald.example: the TLS certificate has expired "
        "(certificate verify failed: certificate has expired, valid until 2026-01-01) "
        "https://herald.example/feeds/very/long/path/to/a/section/that/keeps/going/and-going.xml",
    )
    story = Story.objects.create(headline=REPORTS[0][1], created_at=now - timedelta(hours=6))
    harbour = Tag.objects.create(name="harbour", slug="harbour")
    ferries = Tag.objects.create(name="ferries", slug="ferries")
    people = Entity.objects.create(name="Maria Lindqvist", kind=EntityKind.PERSON, key="maria lindqvist")
    place = Entity.objects.create(
        name="Eastport", kind=EntityKind.PLACE, key="eastport", latitude=50.72, longitude=-1.88, country="GB"
    )
    authority = Entity.objects.create(
        name="Eastport Port Authority", kind=EntityKind.ORGANISATION, key="eastport port authority"
    )
    articles = []
    for n, (outlet, title, lede) in enumerate(REPORTS):
        published = now - timedelta(hours=n + 1, minutes=7 * n)
        text = "\n\n".join(
            [
                lede,
                "Maria Lindqvist, the harbour master, said the work had gone better than anyone "
                "had hoped and thanked the crews who worked through the night.",
                "The port authority said timetables would return to normal from Wednesday, with "
                "extra sailings at the weekend for passengers whose journeys were cancelled.",
                "Local businesses along the quay said the closure had cost them dearly.",
            ]
        )
        article = Article.objects.create(
            source=outlets[outlet],
            feed=feeds[outlet],
            url=f"https://{outlets[outlet].domain}/news/2026/{n}-{title.lower().replace(' ', '-')[:40]}",
            title=title,
            byline="By Sam Okafor" if n % 2 else "",
            published_at=published,
            fetched_at=published + timedelta(minutes=3),
            sort_at=published,
            language="en",
            text=text,
            html="".join(f"<p>{p}</p>" for p in text.split("\n\n")),
            summary=lede,
            excerpt=make_excerpt(text),
            analysed_at=published + timedelta(minutes=4),
            enriched_at=published + timedelta(minutes=4),
            ai_summary=lede,
            developing=n == 0,
            story=story if n < 5 else None,
        )
        articles.append(article)
        ArticleTag.objects.create(article=article, tag=harbour if n < 5 else ferries, rank=0)
        if n < 5:
            ArticleTag.objects.create(article=article, tag=ferries, rank=1)
            for entity, mentions in ((people, 2), (place, 4), (authority, 1)):
                ArticleEntity.objects.create(article=article, entity=entity, mentions=mentions)
            for position, (words, speaker, description) in enumerate(QUOTES):
                Quote.objects.create(
                    article=article,
                    text=words,
                    speaker=people if speaker else None,
                    speaker_name=speaker,
                    anonymous=not speaker,
                    speaker_description=description,
                    position=100 + 300 * position,
                )
    Attribution.objects.create(article=articles[1], source=outlets["wire"], cue="according to")
    for entity in (people, place, authority):
        entity.article_count = 5
        entity.save(update_fields=["article_count"])
    members = articles[:5]
    Story.objects.filter(pk=story.pk).update(
        article_count=len(members),
        source_count=len({a.source_id for a in members}),
        first_published_at=min(a.sort_at for a in members),
        last_published_at=max(a.sort_at for a in members),
        developing=True,
    )
    from django.contrib.auth.models import User

    reader = User.objects.create_user("reader", "reader@example.org", PASSWORD)
    Profile.objects.filter(user=reader).update(trusted=True, display_name="Ruth Reader")
    Follow.objects.create(user=reader, kind=FollowKind.TAG, tag=harbour)
    Follow.objects.create(user=reader, kind=FollowKind.STORY, story=story)
    SavedArticle.objects.create(user=reader, article=articles[2])
    body = "Good news for the quay. The timetable is at https://courier.example/ferries/timetable."
    Comment.objects.create(
        target=articles[0],
        author=reader,
        body=body,
        body_html=render_comment(body),
        status=CommentStatus.PUBLISHED,
    )
    return {
        "article": articles[0],
        "story": story,
        "entity": people,
        "place": place,
        "tag": harbour,
        "source": outlets["herald"],
        "reader": reader,
    }


# ---------------------------------------------------------------------------------------------
# The pages, each under axe in four views


@pytest.fixture
def desk_pages() -> dict[str, Any]:
    return seed_desk()


def pages(seeded: dict[str, Any]) -> dict[str, str]:
    return {
        "home": "/",
        "article": f"/articles/{seeded['article'].pk}/",
        "story": f"/stories/{seeded['story'].pk}/",
        "search": "/search/?q=harbour",
        "feeds": "/feeds/",
        "entity": f"/entities/{seeded['entity'].pk}/",
        "place": f"/entities/{seeded['place'].pk}/",
        "tag": f"/tags/{seeded['tag'].slug}/",
        "source": f"/sources/{seeded['source'].pk}/",
        "login": "/accounts/login/",
        "signup": "/accounts/signup/",
        "error-404": "/no/such/page/",
    }


SIGNED_IN = {"desk": "/desk/", "saved": "/saved/", "article-signed-in": "article"}


@pytest.fixture
def contexts(browser: Browser, live_server: Any) -> Iterator[list[Any]]:
    made: list[Any] = []
    yield made
    for context in made:
        context.close()


def open_view(
    browser: Browser, live_server: Any, made: list[Any], width: int, height: int, scheme: str
) -> Page:
    context = browser.new_context(
        viewport={"width": width, "height": height},
        base_url=live_server.url,
        color_scheme=scheme,  # type: ignore[arg-type]
        reduced_motion="reduce",
    )
    context.set_default_timeout(15_000)
    context.add_init_script(path=str(AXE))
    made.append(context)
    return context.new_page()


def log_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.account-form button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def run_axe(page: Page) -> list[dict[str, Any]]:
    result = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    return list(result["violations"])


def summarise(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [
                {"target": n["target"], "summary": n.get("failureSummary", "")[:300]} for n in v["nodes"][:8]
            ],
        }
        for v in violations
    ]


def check(
    page: Page, name: str, url: str, width: int, scheme: str, found: dict[str, Any], status: int = 0
) -> None:
    response = page.goto(url)
    assert response is not None
    expected = status or (404 if name.startswith("error") else 200)
    assert response.status == expected, (name, response.status)
    violations = run_axe(page)
    found[f"{width}-{scheme}"] = summarise(violations)
    folder = SCREENSHOTS / "axe"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}-{width}-{scheme}.png"), full_page=True)
    # Nothing wider than the phone's screen (a clipped column, an unwrapped address).
    if width < 500:
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        found[f"{width}-{scheme}-overflow"] = overflow


def severe(found: dict[str, Any]) -> list[str]:
    return [
        f"{view}: {v['id']} ({v['impact']}) {v['help']} at {[n['target'] for n in v['nodes']]}"
        for view, violations in found.items()
        if isinstance(violations, list)
        for v in violations
        if v["impact"] in SEVERE
    ]


def record(name: str, found: dict[str, Any]) -> None:
    folder = SCREENSHOTS / "axe"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(found, indent=1))


PAGE_NAMES = [
    "home",
    "article",
    "story",
    "search",
    "feeds",
    "entity",
    "place",
    "tag",
    "source",
    "login",
    "signup",
    "error-404",
]


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_no_serious_or_critical_violation(
    name: str, desk_pages: dict[str, Any], browser: Browser, live_server: Any, contexts: list[Any]
) -> None:
    url = pages(desk_pages)[name]
    found: dict[str, Any] = {}
    for width, height in VIEWS:
        for scheme in SCHEMES:
            page = open_view(browser, live_server, contexts, width, height, scheme)
            check(page, name, url, width, scheme, found)
    record(name, found)
    problems = severe(found)
    assert not problems, "\n".join(problems)
    overflow = {view: px for view, px in found.items() if view.endswith("overflow") and px > 0}
    assert not overflow, f"{name} is wider than a 375 px screen by {overflow} px"


@pytest.mark.parametrize("name", ["desk", "saved", "article-signed-in"])
def test_no_serious_or_critical_violation_signed_in(
    name: str, desk_pages: dict[str, Any], browser: Browser, live_server: Any, contexts: list[Any]
) -> None:
    url = pages(desk_pages)["article"] if name == "article-signed-in" else SIGNED_IN[name]
    found: dict[str, Any] = {}
    for width, height in VIEWS:
        for scheme in SCHEMES:
            page = open_view(browser, live_server, contexts, width, height, scheme)
            log_in(page, desk_pages["reader"].username)
            check(page, name, url, width, scheme, found)
    record(name, found)
    problems = severe(found)
    assert not problems, "\n".join(problems)
    overflow = {view: px for view, px in found.items() if view.endswith("overflow") and px > 0}
    assert not overflow, f"{name} is wider than a 375 px screen by {overflow} px"


def test_the_feeds_page_shows_each_feeds_whole_error_at_375_px(
    desk_pages: dict[str, Any], browser: Browser, live_server: Any, contexts: list[Any]
) -> None:
    for width, height in VIEWS:
        page = open_view(browser, live_server, contexts, width, height, "light")
        page.goto("/feeds/")
        failing = page.locator(".feed-card.feed-failing")
        assert failing.count() == 1
        problem = failing.locator(".feed-problem-text")
        assert "certificate has expired" in problem.inner_text()
        assert "and-going.xml" in problem.inner_text()
        box, card = problem.bounding_box(), failing.bounding_box()
        assert box and card and box["x"] + box["width"] <= card["x"] + card["width"] + 0.5  # not clipped
        scroll, client = problem.evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert scroll <= client, "the error is cut off"
        # Health says itself in words, not only by colour.
        assert "Failing" in failing.locator(".feed-health").inner_text()
        assert "7 failures in a row" in failing.locator(".feed-health").inner_text()
        assert page.locator(".feed-card.feed-ok .feed-health").first.inner_text().strip().endswith("Working")
        width_over = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert width_over <= 0


@pytest.mark.parametrize(
    ("name", "url", "status"),
    [
        ("error-403", "/test-errors/refuses/", 403),
        ("error-500", "/test-errors/raises/", 500),
        ("error-500-database", "/test-errors/database-down/", 500),
    ],
)
def test_the_403_and_500_pages_are_styled_and_pass_axe(
    name: str, url: str, status: int, settings: Any, browser: Browser, live_server: Any, contexts: list[Any]
) -> None:
    settings.ROOT_URLCONF = "tests.web.error_urls"  # the site's URLs and views that fail on purpose
    found: dict[str, Any] = {}
    for width, height in VIEWS:
        for scheme in SCHEMES:
            page = open_view(browser, live_server, contexts, width, height, scheme)
            check(page, name, url, width, scheme, found, status=status)
            # The site's stylesheet applied (the header is a flex row), a way home, no traceback.
            assert page.locator(".site-header").evaluate("e => getComputedStyle(e).display") == "flex"
            assert page.locator("main a[href='/']").count() >= 1
            assert "Traceback" not in page.content() and "the-disk-is-on-fire" not in page.content()
            background = page.evaluate("getComputedStyle(document.body).backgroundColor")
            assert (background == "rgb(18, 20, 23)") == (scheme == "dark") or background.startswith(
                "rgba(0, 0, 0, 0"
            )
    record(name, found)
    problems = severe(found)
    assert not problems, "\n".join(problems)
