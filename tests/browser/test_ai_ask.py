"""Asking the desk on a story page in Debian's chromium: ask.js streams the answer into the page.

With the default model ("none") the answer is the reports' best-matching sentences, sent as NDJSON
by /ask/stream and appended one by one, each with its citation link, under the site's CSP.
Uses the session's one browser (tests/browser/conftest.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tests.browser.conftest import SCREENSHOTS, skip_reason

if skip_reason():
    pytest.skip(str(skip_reason()), allow_module_level=True)

from playwright.sync_api import Page, expect  # noqa: E402

from newsdesk.ai.briefing import story_version  # noqa: E402
from newsdesk.ai.models import StoryBriefing  # noqa: E402
from newsdesk.news.models import Article, Source, Story  # noqa: E402

pytestmark = pytest.mark.django_db(transaction=True)

# axe-core as tests/browser/test_accessibility.py finds it (npm ci --prefix tools).
AXE = Path(
    os.environ.get(
        "NEWSDESK_AXE", Path(__file__).resolve().parents[2] / "tools/node_modules/axe-core/axe.min.js"
    )
)
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}
}


def make_story() -> tuple[Story, set[int]]:
    now = timezone.now()
    story = Story.objects.create(headline="Velport harbour fire", article_count=2, source_count=2)
    texts = [
        "A warehouse fire closed the harbour of Velport on Monday, the port authority said.\n"
        "Ferries to the islands were moved to the southern terminal until further notice.",
        "The harbour of Velport stayed shut on Tuesday after a warehouse fire at the northern pier.\n"
        "The cause of the fire has not been confirmed.",
    ]
    ids = set()
    for n, text in enumerate(texts):
        source = Source.objects.create(name=f"Outlet {n}", domain=f"outlet{n}.example")
        article = Article.objects.create(
            source=source,
            url=f"https://outlet{n}.example/velport",
            title=f"Velport report {n}",
            text=text,
            published_at=now - timedelta(hours=3 - n),
            story=story,
            language="en",
        )
        ids.add(article.pk)
    return story, ids


def test_a_question_on_the_story_page_is_answered_in_place_with_citations(
    new_page: Callable[..., Page], shot: Callable[[Page, str], Any]
) -> None:
    story, ids = make_story()
    page = new_page(1024, 900)
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    streamed: list[str] = []
    page.on(
        "response", lambda response: streamed.append(response.url) if "/ask/stream" in response.url else None
    )
    page.goto(f"/stories/{story.pk}/")
    page.fill("#ask-q", "What closed the harbour of Velport?")
    page.click(".ask-form button[type=submit]")
    sentence = page.locator(".ask-answer .ask-sentence").first
    expect(sentence).to_contain_text("harbour of Velport")
    cite = page.locator(".ask-answer a.cite").first
    expect(cite).to_have_text("[1]")
    href = cite.get_attribute("href") or ""
    assert href.startswith("/articles/") and int(href.strip("/").split("/")[-1]) in ids
    expect(page.locator(".ask-answer .ai-label")).to_contain_text("No language model")
    assert page.url.endswith(f"/stories/{story.pk}/")  # answered in place, not by the GET fallback
    assert streamed, "the answer came from /ask/stream"
    shot(page, "answered")
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    assert not problems, problems


def test_on_the_question_page_the_address_follows_the_streamed_question(
    new_page: Callable[..., Page],
) -> None:
    make_story()
    page = new_page(1024, 800)
    page.goto("/ask/")
    page.fill("#ask-q", "What closed the harbour of Velport?")
    page.click(".ask-form button[type=submit]")
    expect(page.locator(".ask-answer .ask-sentence").first).to_contain_text("Velport")
    assert "/ask/?q=What+closed+the+harbour+of+Velport%3F" in page.url
    page.reload()  # the server renders the same answer, without the script's help
    expect(page.locator(".ask-answer .ask-sentence").first).to_contain_text("Velport")
    page.fill("#ask-q", "Who won the Eurovision song contest in Oslo?")
    page.click(".ask-form button[type=submit]")
    expect(page.locator(".ask-answer .ask-refused")).to_have_text("The desk has no report on that.")
    assert page.locator(".ask-answer .ask-sentence").count() == 0


@pytest.mark.skipif(not AXE.is_file(), reason=f"no axe-core at {AXE} (run `npm ci --prefix tools`)")
def test_the_answer_and_the_briefing_pass_axe_in_light_and_dark(browser: Any, live_server: Any) -> None:
    story, ids = make_story()
    first = min(ids)
    cited = {"article_id": first, "text": "A warehouse fire closed the harbour of Velport on Monday."}
    StoryBriefing.objects.create(
        story=story,
        version=story_version(story.pk),
        model_id="fake-model",
        sections=[
            {
                "key": "happened",
                "title": "What happened",
                "quoted": True,
                "sentences": [{"text": cited["text"], "attributed": False, "citations": [cited]}],
            }
        ],
    )
    urls = {"ask": "/ask/?q=What+closed+the+harbour+of+Velport%3F", "story": f"/stories/{story.pk}/"}
    problems = []
    for width, height in ((375, 812), (1280, 900)):
        for scheme in ("light", "dark"):
            context = browser.new_context(
                viewport={"width": width, "height": height},
                base_url=live_server.url,
                color_scheme=scheme,
                reduced_motion="reduce",
            )
            context.add_init_script(path=str(AXE))
            try:
                page = context.new_page()
                for name, url in urls.items():
                    response = page.goto(url)
                    assert response is not None and response.status == 200
                    assert page.locator("a.cite").count() >= 1
                    result = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
                    problems += [
                        f"{name} {width} {scheme}: {v['id']} {[n['target'] for n in v['nodes']]}"
                        for v in result["violations"]
                        if v["impact"] in ("serious", "critical")
                    ]
                    if width < 500:
                        overflow = page.evaluate(
                            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                        )
                        assert overflow <= 0, f"{name} is {overflow} px wider than a 375 px screen"
                    SCREENSHOTS.mkdir(exist_ok=True)
                    page.screenshot(path=str(SCREENSHOTS / f"ai-{name}-{width}-{scheme}.png"), full_page=True)
            finally:
                context.close()
    assert not problems, "\n".join(problems)
