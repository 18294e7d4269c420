"""POST /api/ask and GET /api/stories/<id>/briefing: the AI answers, with citations, as JSON.

``/api/ask`` runs ``newsdesk.ai.answers.answer`` (hybrid retrieval, the configured model, each
sentence checked against the sentences it cites); ``answer`` is the text, ``citations`` the cited
sentences as stored with their article ids, ``refused`` true when the desk has no report on the
question. Answering costs a model run, so it has a limit of its own per caller
(``ASKS_PER_MINUTE``) on top of the API's. The briefing is the stored one, written by the runner.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import HttpError
from pydantic import Field

from newsdesk.api import schemas
from newsdesk.api.access import PUBLIC, WINDOW_SECONDS, count
from newsdesk.api.site import api
from newsdesk.api.views import MAX_ID, BadRequest, find, ok
from newsdesk.community import throttle

ASKS_PER_MINUTE = 20


class AskIn(schemas.Schema):
    question: str = Field(min_length=1, max_length=500, description="a question in words")
    story: int | None = Field(None, ge=1, le=MAX_ID, description="answer from this story's reports")
    article: int | None = Field(None, ge=1, le=MAX_ID, description="asked beside this article")


class CitationOut(schemas.Schema):
    article_id: int
    text: str = Field(description="the cited sentence as stored in the article's text")


class AnswerSentenceOut(schemas.Schema):
    text: str
    citations: list[CitationOut]


class AnswerOut(schemas.Schema):
    answer: str = Field(
        description='the answer as plain text; "The desk has no report on that." when refused'
    )
    citations: list[CitationOut]
    sentences: list[AnswerSentenceOut]
    refused: bool
    mode: str = Field(
        description="model, extractive (no model, or nothing it wrote was supported) or refused"
    )
    model: str


class BriefingSentenceOut(AnswerSentenceOut):
    attributed: bool = Field(description="the citations were found after generation")


class BriefingSectionOut(schemas.Schema):
    key: str
    title: str
    quoted: bool = Field(description="the model wrote nothing checkable: the best evidence sentence, quoted")
    sentences: list[BriefingSentenceOut]


class BriefingOut(schemas.Schema):
    story_id: int
    current: bool = Field(description="written for the story's reports as they are now")
    model: str
    created_at: str
    sections: list[BriefingSectionOut]


def _limit(request: HttpRequest) -> None:
    token = getattr(request, "api_token", None)
    if token is not None:
        ident = f"token:{token.pk}"
    elif request.user.is_authenticated:
        ident = f"user:{request.user.pk}"
    else:
        ident = throttle.client_address(request)
    if count(throttle.Limit("api-ask", ASKS_PER_MINUTE, WINDOW_SECONDS), ident) > ASKS_PER_MINUTE:
        raise HttpError(429, f"at most {ASKS_PER_MINUTE} questions a minute")


@api.post("/ask", response=ok(AnswerOut), auth=PUBLIC, url_name="ask", tags=["ai"])
def ask(request: HttpRequest, body: AskIn) -> dict[str, Any]:
    """Ask the desk a question: an answer whose every sentence cites the stored sentences it rests on."""
    from newsdesk.ai.answers import QuestionError, answer
    from newsdesk.ai.language import configured_model
    from newsdesk.news.models import Article, Story

    if "\x00" in body.question:
        raise BadRequest("question must be text without NUL")
    if body.story is not None:
        find(Story.objects.all(), body.story, "story")
    if body.article is not None:
        find(Article.objects.all(), body.article, "article")
    _limit(request)
    try:
        found = answer(body.question, configured_model(), story=body.story, article=body.article)
    except QuestionError as problem:
        raise BadRequest(str(problem)) from None
    return found.as_dict()


@api.get(
    "/stories/{int:story_id}/briefing",
    response=ok(BriefingOut),
    auth=PUBLIC,
    url_name="story_briefing",
    tags=["ai"],
)
def story_briefing(request: HttpRequest, story_id: int) -> dict[str, Any]:
    """The story's machine-written briefing, as the runner last wrote it (404 while there is none)."""
    from newsdesk.ai.briefing import story_version
    from newsdesk.ai.models import StoryBriefing
    from newsdesk.news.models import Story

    story = find(Story.objects.all(), story_id, "story")
    briefing = StoryBriefing.objects.filter(story=story).first()
    if briefing is None:
        raise HttpError(
            404, "this story has no briefing yet (written by the runner when a model is configured)"
        )
    return {
        "story_id": story.pk,
        "current": briefing.version == story_version(story.pk),
        "model": briefing.model_id,
        "created_at": briefing.created_at.isoformat(),
        "sections": briefing.sections,
    }
