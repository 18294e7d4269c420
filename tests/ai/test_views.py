"""The AI features' pages: asking (with and without JavaScript), briefings, translations, the reading language.

The desk is small and made here: two outlets' reports of one harbour story. The default model is
"none", so the pages answer extractively; the paths for a configured model use ``FakeModel``, a
deterministic stand-in for a real model (tests/ai/test_core.py runs the real backends' contract).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from newsdesk.ai import answers, briefing, language, tasks
from newsdesk.ai.language import LanguageModel, Message
from newsdesk.ai.models import ArticleTranslation, ReaderLanguage, StoryBriefing
from newsdesk.news.models import Article, Source, Story

pytestmark = pytest.mark.django_db

REPORTS = [
    (
        "Fire closes Velport harbour",
        "A warehouse fire closed the harbour of Velport on Monday, the port authority said.\n"
        "Firefighters from three towns fought the blaze at the northern pier for six hours.\n"
        "Ferries to the islands were moved to the southern terminal until further notice.",
    ),
    (
        "Velport harbour shut after warehouse blaze",
        "The harbour of Velport stayed shut on Tuesday after a warehouse fire at the northern pier.\n"
        "Mayor Ada Quill said the harbour would reopen once inspectors finish their work.\n"
        "The cause of the warehouse fire has not been confirmed.",
    ),
]


class FakeModel(LanguageModel):
    """Stands in for a real language model: a fixed reply citing the first numbered source, in pieces."""

    name = "fake-model"
    local = False  # as a remote server would be: the page must say text left the machine

    def __init__(self) -> None:
        self.calls = 0

    def complete(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
    ) -> str:
        self.calls += 1
        # The first source sentence of the prompt, repeated with its number: always supported.
        for line in messages[-1].content.splitlines():
            match = re.match(r"\[(\d+)\] \([^)]*\) (.+)", line)
            if match:
                return f"{match.group(2)} [{match.group(1)}]"
        return "NO REPORT"

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
    ) -> Iterator[str]:
        text = self.complete(messages, max_tokens=max_tokens)
        for i in range(0, len(text), 9):
            yield text[i : i + 9]


@pytest.fixture
def desk() -> Story:
    now = timezone.now()
    story = Story.objects.create(
        headline="Velport harbour fire", article_count=2, source_count=2, last_published_at=now
    )
    for n, (title, text) in enumerate(REPORTS):
        source = Source.objects.create(name=f"Outlet {n}", domain=f"outlet{n}.example")
        Article.objects.create(
            source=source,
            url=f"https://outlet{n}.example/velport",
            title=title,
            text=text,
            published_at=now - timedelta(hours=3 - n),
            story=story,
            content_hash=f"hash{n}",
            language="en",
        )
    return story


@pytest.fixture
def fake_model(monkeypatch: pytest.MonkeyPatch) -> FakeModel:
    model = FakeModel()
    monkeypatch.setattr(language, "configured_model", lambda: model)
    return model


@pytest.fixture
def requested(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, dict[str, Any]]]:
    """The runner tasks the pages ask for (recorded, not queued)."""
    calls: list[tuple[str, str, dict[str, Any]]] = []

    def record(task: str, key: str, **kwargs: Any) -> bool:
        calls.append((task, key, kwargs))
        return True

    monkeypatch.setattr(tasks, "request", record)
    return calls


def article_ids(story: Story) -> set[int]:
    return set(Article.objects.filter(story=story).values_list("id", flat=True))


def cited_ids(body: str) -> set[int]:
    return {int(n) for n in re.findall(r'<a class="cite" href="/articles/(\d+)/"', body)}


def ndjson(response: Any) -> list[dict[str, Any]]:
    text = b"".join(response.streaming_content).decode()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


# Asking without JavaScript ------------------------------------------------------------------------


def test_the_ask_page_answers_extractively_with_links_to_the_desks_articles(
    client: Client, desk: Story
) -> None:
    response = client.get("/ask/", {"q": "What closed the harbour of Velport?"})
    assert response.status_code == 200
    body = response.content.decode()
    cited = cited_ids(body)
    assert cited and cited <= article_ids(desk)
    assert "harbour of Velport" in body
    assert "No language model: the best-matching sentences of the reports" in body
    assert 'class="ask-refused"' not in body
    assert "Outlet 0" in body or "Outlet 1" in body  # the outlet named by its citation
    assert 'name="q" value="What closed the harbour of Velport?"' in body


def test_the_ask_page_says_the_desk_has_no_report_on_something_absent(client: Client, desk: Story) -> None:
    body = client.get("/ask/", {"q": "Who won the Eurovision song contest in Oslo?"}).content.decode()
    assert f'<p class="ask-refused">{answers.NO_REPORT}</p>' in body
    assert not cited_ids(body)


def test_the_ask_page_without_a_question_is_the_box_and_a_bad_one_is_400(client: Client, desk: Story) -> None:
    body = client.get("/ask/").content.decode()
    assert 'class="ask-form"' in body and 'action="/ask/"' in body and "ask-text" not in body
    assert client.get("/ask/", {"q": "x" * 600}).status_code == 400
    assert client.get("/ask/", {"q": "harbour", "story": "abc"}).status_code == 400


def test_a_question_asked_in_a_story_is_answered_from_it(client: Client, desk: Story) -> None:
    other = Story.objects.create(headline="Elsewhere", article_count=0, source_count=0)
    body = client.get(
        "/ask/", {"q": "What closed the harbour of Velport?", "story": desk.pk}
    ).content.decode()
    assert cited_ids(body) and cited_ids(body) <= article_ids(desk)
    assert f'name="story" value="{desk.pk}"' in body
    empty = client.get("/ask/", {"q": "What closed the harbour of Velport?", "story": other.pk})
    assert '<p class="ask-refused">The desk has no report on that.</p>' in empty.content.decode()


def test_a_configured_model_answers_labelled_with_its_id_and_that_text_left(
    client: Client, desk: Story, fake_model: FakeModel
) -> None:
    body = client.get("/ask/", {"q": "What closed the harbour of Velport?"}).content.decode()
    assert fake_model.calls == 1
    assert "Machine-written by fake-model." in body
    assert "sent to the model&#x27;s server, off this machine" in body
    assert cited_ids(body) and cited_ids(body) <= article_ids(desk)


def test_asking_is_rate_limited_per_client(client: Client, desk: Story, settings: Any) -> None:
    settings.AI_ASKS_PER_ADDRESS = 2
    for _ in range(2):
        assert client.get("/ask/", {"q": "What closed the harbour of Velport?"}).status_code == 200
    assert client.get("/ask/", {"q": "What closed the harbour of Velport?"}).status_code == 429
    stream = client.post("/ask/stream", {"q": "What closed the harbour of Velport?"})
    assert stream.status_code == 429 and "error" in stream.json()


# Asking, streamed ---------------------------------------------------------------------------------


def test_the_stream_is_ndjson_sentences_then_done(client: Client, desk: Story) -> None:
    response = client.post("/ask/stream", {"q": "What closed the harbour of Velport?", "story": desk.pk})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    lines = ndjson(response)
    *sentences, done = lines
    assert sentences and done["done"] is True
    assert done["refused"] is False and done["mode"] == "extractive" and done["model"] == "none"
    for line in sentences:
        assert line["text"] and line["citations"]
        for citation in line["citations"]:
            assert citation["article_id"] in article_ids(desk)
            assert citation["url"] == f"/articles/{citation['article_id']}/"
            assert citation["outlet"].startswith("Outlet ") and citation["text"]


def test_the_stream_of_a_configured_model_comes_in_checked_sentences(
    client: Client, desk: Story, fake_model: FakeModel
) -> None:
    lines = ndjson(client.post("/ask/stream", {"q": "What closed the harbour of Velport?"}))
    assert lines[-1] == {
        "done": True,
        "refused": False,
        "mode": "model",
        "model": "fake-model",
        "label": "Machine-written by fake-model. The reports' text was sent to the model's server, off this machine.",
    }
    assert len(lines) >= 2 and all(c["article_id"] in article_ids(desk) for c in lines[0]["citations"])


def test_the_stream_refuses_what_the_desk_has_no_report_on(client: Client, desk: Story) -> None:
    lines = ndjson(client.post("/ask/stream", {"q": "Who won the Eurovision song contest in Oslo?"}))
    assert lines == [{"done": True, "refused": True, "mode": "refused", "model": "none", "label": ""}]


def test_the_stream_answers_400_to_a_bad_question_and_405_to_a_get(client: Client, desk: Story) -> None:
    response = client.post("/ask/stream", {"q": "   "})
    assert response.status_code == 400 and response.json() == {"error": "ask a question"}
    assert client.post("/ask/stream", {"q": "harbour", "article": "1; drop"}).status_code == 400
    assert client.get("/ask/stream", {"q": "harbour"}).status_code == 405


def test_the_stream_needs_the_csrf_token(desk: Story) -> None:
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/ask/stream", {"q": "What closed the harbour of Velport?"}).status_code == 403
    page = strict.get(f"/stories/{desk.pk}/")
    token = re.search(r'data-csrf="([^"]+)"', page.content.decode())
    assert token, "the ask box carries the token its script sends"
    response = strict.post(
        "/ask/stream", {"q": "What closed the harbour of Velport?"}, HTTP_X_CSRFTOKEN=token.group(1)
    )
    assert response.status_code == 200 and ndjson(response)[-1]["done"] is True


# Briefings on the story page ----------------------------------------------------------------------


def stored_briefing(story: Story, text: str, **extra: Any) -> StoryBriefing:
    first = Article.objects.filter(story=story).order_by("id").first()
    assert first is not None
    sentence = {
        "text": text,
        "attributed": False,
        "citations": [{"article_id": first.pk, "text": "Cited words."}],
    }
    return StoryBriefing.objects.create(
        story=story,
        version=extra.pop("version", briefing.story_version(story.pk)),
        model_id="fake-model",
        sections=[{"key": "happened", "title": "What happened", "quoted": False, "sentences": [sentence]}],
        **extra,
    )


def test_the_story_page_shows_the_stored_briefing_escaped_with_links(
    client: Client, desk: Story, requested: list[Any]
) -> None:
    stored_briefing(desk, "The harbour closed <script>alert(1)</script> on Monday.")
    first = Article.objects.filter(story=desk).order_by("id").first()
    assert first is not None
    body = client.get(f"/stories/{desk.pk}/").content.decode()
    assert "Machine-written briefing by fake-model — every sentence cites the reports it rests on" in body
    assert "The harbour closed &lt;script&gt;alert(1)&lt;/script&gt; on Monday." in body
    assert "<script>alert(1)" not in body
    assert f'<a class="cite" href="/articles/{first.pk}/" title="Cited words.">[1]</a>' in body
    assert "What happened" in body
    assert requested == []  # current: nothing asked of the runner
    assert f'name="story" value="{desk.pk}"' in body  # the ask box, scoped to the story
    assert 'src="/static/ai/ask.js" defer' in body


def test_a_missing_briefing_without_a_model_says_how_to_turn_one_on(
    client: Client, desk: Story, requested: list[Any]
) -> None:
    body = html.unescape(client.get(f"/stories/{desk.pk}/").content.decode())
    assert language.HOW_TO_TURN_ON in body
    assert requested == []


def test_a_missing_or_stale_briefing_is_asked_of_the_runner_when_a_model_is_configured(
    client: Client, desk: Story, fake_model: FakeModel, requested: list[Any]
) -> None:
    body = client.get(f"/stories/{desk.pk}/").content.decode()
    assert "A briefing is being written; reload in a minute" in body
    assert requested == [("brief_story", str(desk.pk), {"story_id": desk.pk})]
    assert fake_model.calls == 0  # never written in the request
    stored_briefing(desk, "An older briefing sentence.", version="old")
    body = client.get(f"/stories/{desk.pk}/").content.decode()
    assert "An older briefing sentence." in body and "a new briefing is being written" in body
    assert len(requested) == 2


def test_a_stored_briefing_of_another_shape_shows_its_text_without_links(client: Client, desk: Story) -> None:
    StoryBriefing.objects.create(
        story=desk,
        version=briefing.story_version(desk.pk),
        model_id="fake-model",
        sections=[
            "not a section",
            {"title": "Odd", "sentences": [{"text": "A sentence kept.", "citations": [{"article_id": "x"}]}]},
        ],
    )
    response = client.get(f"/stories/{desk.pk}/")
    body = response.content.decode()
    assert response.status_code == 200 and "A sentence kept." in body
    assert 'class="cite"' not in body


def test_the_briefing_takes_at_most_two_queries(desk: Story, fake_model: FakeModel) -> None:
    from django.template import Context, Template

    stored_briefing(desk, "The harbour closed on Monday.")
    template = Template("{% load ai %}{% story_briefing story %}")
    with CaptureQueriesContext(connection) as queries:
        out = template.render(Context({"story": desk}))
    assert "The harbour closed on Monday." in out
    assert len(queries) <= 2


# Translation ------------------------------------------------------------------------------------


def test_the_translation_page_shows_the_stored_translation_labelled(client: Client, desk: Story) -> None:
    article = Article.objects.filter(story=desk).order_by("id").first()
    assert article is not None
    ArticleTranslation.objects.create(
        article=article,
        language="fr",
        content_hash=article.content_hash,
        model_id="fake-model",
        title="Un incendie ferme le port de Velport",
        paragraphs=[
            {"text": "Un incendie a fermé le port <b>lundi</b>.", "translated": True},
            {"text": "Ferries to the islands were moved.", "translated": False},
        ],
    )
    body = client.get(f"/articles/{article.pk}/translation/?to=fr").content.decode()
    assert "Un incendie ferme le port de Velport" in body
    assert "Machine translation by fake-model" in body
    assert f'<a href="/articles/{article.pk}/" lang="en">original</a>' in body
    assert "Un incendie a fermé le port &lt;b&gt;lundi&lt;/b&gt;." in body
    assert re.search(r"Ferries to the islands were moved\. <span[^>]*>\(original\)</span>", body)
    assert 'href="/settings/language/"' not in body and "/accounts/login/" in body  # anonymous


def test_a_missing_translation_is_asked_of_the_runner_or_explains_the_model(
    client: Client, desk: Story, requested: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    article = Article.objects.filter(story=desk).order_by("id").first()
    assert article is not None
    body = html.unescape(client.get(f"/articles/{article.pk}/translation/?to=de").content.decode())
    assert language.HOW_TO_TURN_ON in body and requested == []
    monkeypatch.setattr(language, "configured_model", FakeModel)
    body = client.get(f"/articles/{article.pk}/translation/?to=de").content.decode()
    assert "is being prepared; reload in a minute" in body
    assert requested == [
        ("translate_article", f"{article.pk}:de", {"article_id": article.pk, "language": "de"})
    ]
    assert client.get(f"/articles/{article.pk}/translation/?to=xx-not").status_code == 400
    assert client.get(f"/articles/{article.pk}/translation/?to=qqq").status_code == 400
    assert client.get("/articles/999999/translation/?to=fr").status_code == 404


def test_the_article_page_offers_the_readers_language_only_when_it_differs(
    client: Client, desk: Story
) -> None:
    article = Article.objects.filter(story=desk).order_by("id").first()
    assert article is not None
    body = client.get(
        f"/articles/{article.pk}/", HTTP_ACCEPT_LANGUAGE="fr-CA,fr;q=0.9,en;q=0.5"
    ).content.decode()
    assert f'href="/articles/{article.pk}/translation/?to=fr"' in body and "Read in French" in body
    body = client.get(f"/articles/{article.pk}/", HTTP_ACCEPT_LANGUAGE="en-GB,en").content.decode()
    assert "Read in" not in body
    assert "Read in" not in client.get(f"/articles/{article.pk}/").content.decode()  # default: English
    assert f'name="article" value="{article.pk}"' in body  # the ask box, scoped to the article


def test_a_reader_sets_their_language(client: Client, desk: Story) -> None:
    assert client.get("/settings/language/").status_code == 302  # to the log-in page
    user = User.objects.create_user("reader", password="pw-for-tests-only")
    client.force_login(user)
    page = client.get("/settings/language/").content.decode()
    assert '<option value="fr">French</option>' in page
    assert client.post("/settings/language/", {"language": "klingon"}).status_code == 400
    response = client.post("/settings/language/", {"language": "sv", "translate": "on"})
    assert response.status_code == 302
    saved = ReaderLanguage.objects.get(user=user)
    assert (saved.language, saved.translate) == ("sv", True)
    article = Article.objects.filter(story=desk).order_by("id").first()
    assert article is not None
    body = client.get(f"/articles/{article.pk}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Read in Swedish" in body  # the setting, not the browser
    client.post("/settings/language/", {"language": "sv"})  # translation not offered
    assert "Read in" not in client.get(f"/articles/{article.pk}/").content.decode()
    assert (
        'href="/settings/language/"'
        in client.get(f"/articles/{article.pk}/translation/?to=sv").content.decode()
    )


def test_the_search_page_offers_to_ask_the_query(client: Client, desk: Story) -> None:
    body = client.get("/search/", {"q": "Velport harbour"}).content.decode()
    assert 'class="ask-form"' in body and 'name="q" value="Velport harbour"' in body


@pytest.mark.parametrize(
    "url",
    [
        "/ask/?q=%00",
        "/ask/?q=harbour&story=-1",
        "/ask/?q=harbour&article=99999999999999999999",
        "/ask/?q=harbour&story=%EF%BF%BD",
        "/ask/?q=" + "%22" * 40,
        "/articles/{id}/translation/?to=",
        "/articles/{id}/translation/?to=%00",
        "/articles/{id}/translation/?to=fr-%E2%80%AE",
        "/articles/{id}/translation/?to=zz-zzzz",
    ],
)
def test_hostile_parameters_never_give_a_server_error(client: Client, desk: Story, url: str) -> None:
    article = Article.objects.filter(story=desk).order_by("id").first()
    assert article is not None
    response = client.get(url.format(id=article.pk), HTTP_ACCEPT_LANGUAGE="*;q=0.1, %%%")
    assert response.status_code in (200, 400), response.content[:300]
