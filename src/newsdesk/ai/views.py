"""The AI features' pages: questions to the desk, machine translations, and the reader's language.

* ``GET /ask/?q=&story=&article=``: the question box and, when asked, the answer; every sentence is
  plain text followed by links to the Newsdesk articles it rests on. Works without JavaScript.
* ``POST /ask/stream``: the same answer as NDJSON, one line a checked sentence as it is ready, then
  a closing ``{"done": true, ...}`` line (static/ai/ask.js reads it). CSRF-protected.
* ``GET /articles/<id>/translation/?to=fr``: the stored machine translation, asked of the runner
  when missing or of an older version of the article (never written in the request).
* ``GET/POST /settings/language/``: the language a signed-in reader reads in.

Asking is the one AI feature run in a web request (it is interactive), so both ask views count
against a per-address (and per-account) limit in the throttle table (community/throttle.py).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from newsdesk.ai import answers, language, tasks
from newsdesk.ai.grounding import Sentence, Source
from newsdesk.ai.models import ArticleTranslation, ReaderLanguage
from newsdesk.ai.translation import TranslationError, language_name
from newsdesk.community import throttle

log = logging.getLogger(__name__)

#: The languages offered on the settings page (ISO 639-1), in the order of their English names.
COMMON_LANGUAGES = (
    "ar",
    "zh",
    "da",
    "nl",
    "en",
    "fi",
    "fr",
    "de",
    "el",
    "he",
    "hi",
    "id",
    "it",
    "ja",
    "ko",
    "nb",
    "fa",
    "pl",
    "pt",
    "ru",
    "es",
    "sv",
    "tr",
    "uk",
    "vi",
)
DEFAULT_LANGUAGE = "en"
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,4})?$")
_ID = re.compile(r"^\d{1,12}$")

EXTRACTIVE_LABEL = "No language model: the best-matching sentences of the reports. Nothing left this machine."


def ask_limits() -> tuple[throttle.Limit, throttle.Limit]:
    """Questions allowed per address and per account (each runs a search and maybe a model)."""
    window = int(getattr(settings, "AI_ASK_WINDOW", 60))
    return (
        throttle.Limit("ask-ip", int(getattr(settings, "AI_ASKS_PER_ADDRESS", 10)), window),
        throttle.Limit("ask-user", int(getattr(settings, "AI_ASKS_PER_ACCOUNT", 10)), window),
    )


def _over_limit(request: HttpRequest) -> bool:
    """True when this client asked too often; otherwise counts this question."""
    per_ip, per_user = ask_limits()
    checks = [(per_ip, throttle.client_address(request))]
    if request.user.is_authenticated:
        checks.append((per_user, str(request.user.pk)))
    if any(throttle.exceeded(limit, ident) for limit, ident in checks):
        return True
    for limit, ident in checks:
        throttle.record(limit, ident)
    return False


def _where(data: Mapping[str, Any]) -> dict[str, int | None]:
    """The story and article a question is asked about; raises QuestionError for a malformed id."""
    where: dict[str, int | None] = {}
    for name in ("story", "article"):
        raw = str(data.get(name) or "").strip()
        if not raw:
            where[name] = None
        elif _ID.match(raw):
            where[name] = int(raw)
        else:
            raise answers.QuestionError(f"{name} must be a number")
    return where


def answer_label(mode: str, model: language.LanguageModel) -> str:
    """Who wrote an answer, and whether the reports' text left this machine to write it."""
    if mode == "model":
        where = (
            "The reports' text stayed on this machine."
            if model.local
            else "The reports' text was sent to the model's server, off this machine."
        )
        return f"Machine-written by {model.model_id}. {where}"
    if mode == "extractive":
        return EXTRACTIVE_LABEL
    return ""


def article_url(article_id: int) -> str:
    return reverse("news:article", args=[int(article_id)])


def citation_json(source: Source) -> dict[str, Any]:
    return {
        "article_id": int(source.article_id),
        "text": source.text,
        "outlet": source.outlet,
        "title": source.title,
        "url": article_url(source.article_id),
    }


def sentence_json(sentence: Sentence) -> dict[str, Any]:
    return {"text": sentence.text, "citations": [citation_json(s) for s in sentence.citations]}


@dataclass
class Cited:
    """An answer or briefing laid out for a page: sentences with numbered citations, and the sources."""

    sentences: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    _numbers: dict[tuple[int, str], int] = field(default_factory=dict)

    def add(self, text: str, citations: list[Mapping[str, Any]]) -> None:
        refs = []
        for citation in citations:
            try:
                article_id = int(citation["article_id"])
            except (KeyError, TypeError, ValueError):  # a stored row of another shape: no link
                continue
            key = (article_id, str(citation.get("text", "")))
            number = self._numbers.get(key)
            if number is None:
                number = self._numbers[key] = len(self._numbers) + 1
                self.sources.append(
                    {
                        "n": number,
                        "url": article_url(article_id),
                        "text": key[1],
                        "outlet": citation.get("outlet", ""),
                        "title": citation.get("title", ""),
                    }
                )
            refs.append(self.sources[number - 1])
        self.sentences.append({"text": text, "refs": refs})


def _source_citation(source: Source) -> dict[str, Any]:
    return {
        "article_id": source.article_id,
        "text": source.text,
        "outlet": source.outlet,
        "title": source.title,
    }


@require_http_methods(["GET", "HEAD"])
def ask(request: HttpRequest) -> HttpResponse:
    """The question page: the box, and the whole answer when a question is given (no JavaScript)."""
    question = str(request.GET.get("q", ""))
    context: dict[str, Any] = {"q": question, "story": None, "article": None, "result": None}
    status = 200
    try:
        where = _where(request.GET)
    except answers.QuestionError as error:
        return render(request, "ai/ask.html", {**context, "error": str(error)}, status=400)
    if where["story"] is not None:
        from newsdesk.news.models import Story

        context["story"] = Story.objects.filter(pk=where["story"]).only("id", "headline").first()
    if where["article"] is not None:
        from newsdesk.news.models import Article

        context["article"] = Article.objects.filter(pk=where["article"]).only("id", "title").first()
    if question.strip():
        try:
            answers.clean_question(question)
        except answers.QuestionError as error:
            context["error"] = str(error)
            status = 400
        else:
            if _over_limit(request):
                context["error"] = "Too many questions from here; wait a minute and ask again."
                status = 429
            else:
                context["result"] = _answer(question, where)
    return render(request, "ai/ask.html", context, status=status)


def _answer(question: str, where: Mapping[str, int | None]) -> dict[str, Any]:
    model = language.configured_model()
    found = answers.answer(question, model, story=where["story"], article=where["article"])
    cited = Cited()
    for sentence in found.sentences:
        cited.add(sentence.text, [_source_citation(s) for s in sentence.citations])
    return {
        "refused": found.refused,
        "mode": found.mode,
        "sentences": cited.sentences,
        "sources": cited.sources,
        "label": answer_label(found.mode, model),
    }


@require_POST
def ask_stream(request: HttpRequest) -> HttpResponseBase:
    """The answer as NDJSON, a line a sentence as each is checked, then ``{"done": true, ...}``."""
    question = str(request.POST.get("q", ""))
    try:
        where = _where(request.POST)
        answers.clean_question(question)
    except answers.QuestionError as error:
        return JsonResponse({"error": str(error)}, status=400)
    if _over_limit(request):
        return JsonResponse(
            {"error": "Too many questions from here; wait a minute and ask again."}, status=429
        )
    model = language.configured_model()
    response = StreamingHttpResponse(_lines(question, model, where), content_type="application/x-ndjson")
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"  # a proxy in front passes each line on as it comes
    return response


def _lines(question: str, model: language.LanguageModel, where: Mapping[str, int | None]) -> Iterator[str]:
    try:
        for event in answers.answer_stream(question, model, story=where["story"], article=where["article"]):
            if event["type"] == "sentence":
                yield json.dumps(sentence_json(event["sentence"])) + "\n"
            elif event["type"] == "done":
                done = {
                    "done": True,
                    "refused": event["refused"],
                    "mode": event["mode"],
                    "model": event["model"],
                    "label": answer_label(event["mode"], model),
                }
                yield json.dumps(done) + "\n"
    except Exception:  # the headers are sent: say so in the stream rather than cut it short
        log.exception("answering %r failed", question)
        yield json.dumps({"done": True, "error": "The answer could not be finished."}) + "\n"


# Translation and the reader's language ----------------------------------------------------------


def primary_language(code: str) -> str:
    return code.strip().lower().replace("_", "-").split("-")[0]


def reader_language(request: HttpRequest | None) -> tuple[str, bool]:
    """The reader's language and whether to offer translation: their setting when signed in, else
    the browser's first Accept-Language, else English. One query for a signed-in reader."""
    if request is None:
        return DEFAULT_LANGUAGE, True
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        row = ReaderLanguage.objects.filter(user=user).only("language", "translate").first()
        if row is not None:
            return row.language, row.translate
    header = str(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
    first = primary_language(header.split(",")[0].split(";")[0]) if header else ""
    if first and first != "*" and _LANGUAGE_CODE.match(first):
        return first, True
    return DEFAULT_LANGUAGE, True


def safe_language_name(code: str) -> str:
    try:
        return language_name(code)
    except TranslationError:
        return code


@require_http_methods(["GET", "HEAD"])
def article_translation(request: HttpRequest, article_id: int) -> HttpResponse:
    """The stored translation of an article into ``to`` (default: the reader's language)."""
    from newsdesk.news.models import Article

    article = get_object_or_404(
        Article.objects.select_related("source").only(
            "id", "title", "content_hash", "language", "url", "source__id", "source__name"
        ),
        pk=article_id,
    )
    raw = str(request.GET.get("to", "")).strip().lower()
    target = raw or reader_language(request)[0]
    context: dict[str, Any] = {"article": article, "target": target}
    if not _LANGUAGE_CODE.match(target) or len(target) > 8:
        context["error"] = "Choose a language by its code, like fr or pt-br."
        return render(request, "ai/translation.html", context, status=400)
    try:
        context["target_name"] = language_name(target)
    except TranslationError:
        context["error"] = f"Newsdesk does not know the language {target!r}."
        return render(request, "ai/translation.html", context, status=400)
    if article.language and primary_language(article.language) == primary_language(target):
        context["same"] = True
        return render(request, "ai/translation.html", context)
    stored = ArticleTranslation.objects.filter(article=article, language=target).first()
    stale = stored is not None and stored.content_hash != article.content_hash
    model = language.configured_model()
    context.update({"translation": stored, "stale": stale, "model": model})
    if stored is None or stale:
        if model.can_generate:
            tasks.request(
                "translate_article", f"{article.pk}:{target}", article_id=article.pk, language=target
            )
            context["pending"] = True
        elif stored is None:
            context["how_to_turn_on"] = language.HOW_TO_TURN_ON
    return render(request, "ai/translation.html", context)


def language_choices() -> list[tuple[str, str]]:
    return sorted(((code, safe_language_name(code)) for code in COMMON_LANGUAGES), key=lambda c: c[1])


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def language_settings(request: HttpRequest) -> HttpResponse:
    """A signed-in reader's language (translation's target) and whether to offer translations."""
    user_id = int(request.user.pk or 0)  # signed in (login_required)
    current = ReaderLanguage.objects.filter(user_id=user_id).first()
    choices = language_choices()
    status = 200
    error = ""
    chosen = current.language if current else reader_language(request)[0]
    offer = current.translate if current else True
    if request.method == "POST":
        wanted = str(request.POST.get("language", "")).strip().lower()
        offer = request.POST.get("translate") == "on"
        if wanted not in COMMON_LANGUAGES:
            error = "Choose one of the languages in the list."
            status = 400
        else:
            ReaderLanguage.objects.update_or_create(
                user_id=user_id, defaults={"language": wanted, "translate": offer}
            )
            messages.success(request, f"You read in {safe_language_name(wanted)}.")
            return HttpResponseRedirect(reverse("ai:language"))
    context = {"choices": choices, "chosen": chosen, "offer": offer, "error": error}
    return render(request, "ai/language.html", context, status=status)
