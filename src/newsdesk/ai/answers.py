"""Questions to the desk: retrieval through the hybrid search, an answer with citations, or none.

``retrieve`` runs the question through ``search.engine.search`` in hybrid mode (words and meaning,
within a story or beside an article when asked there), then ranks the sentences of the articles
found by how much of the question they hold. The desk answers only when the evidence is relevant
(``relevant``): every name the question capitalises is in the evidence and the best sentence holds
at least ``MIN_RELEVANCE`` of the question's content words; otherwise the answer is
``NO_REPORT``, without asking the model anything.

``answer_stream`` yields the answer as it is written: the model's reply is cut into sentences as
they complete, each checked against its citations (``grounding.ground``) before it is yielded, so a
sentence that is shown is never taken back. With no model, or when the model wrote nothing
checkable, the best evidence sentences are the answer, quoted (``mode="extractive"``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from newsdesk.ai import grounding
from newsdesk.ai.grounding import Sentence, Source
from newsdesk.ai.language import LanguageModel, LanguageModelError, Message

log = logging.getLogger(__name__)

NO_REPORT = "The desk has no report on that."
MAX_QUESTION_CHARS = 500
RETRIEVED_ARTICLES = 8
SENTENCES_PER_ARTICLE = 3
MAX_EVIDENCE = 10
MIN_RELEVANCE = 0.5
ANSWER_TOKENS = 200
EXTRACTIVE_SENTENCES = 3
MAX_ANSWER_SENTENCES = 4


class QuestionError(ValueError):
    """A question that cannot be asked (empty, too long): the caller's 400."""


@dataclass
class Answer:
    question: str
    sentences: list[Sentence] = field(default_factory=list)
    refused: bool = False
    mode: str = "model"  # "model", "extractive" or "refused"
    model_id: str = ""
    retrieved: int = 0

    @property
    def text(self) -> str:
        return NO_REPORT if self.refused else " ".join(s.text for s in self.sentences)

    @property
    def citations(self) -> list[dict[str, Any]]:
        seen: set[tuple[int, str]] = set()
        found = []
        for sentence in self.sentences:
            for source in sentence.citations:
                if (source.article_id, source.text) not in seen:
                    seen.add((source.article_id, source.text))
                    found.append({"article_id": source.article_id, "text": source.text})
        return found

    def as_dict(self) -> dict[str, Any]:
        return {
            "answer": self.text,
            "citations": self.citations,
            "sentences": [s.as_dict() for s in self.sentences],
            "refused": self.refused,
            "mode": self.mode,
            "model": self.model_id,
        }


def clean_question(question: str) -> str:
    text = " ".join(str(question or "").split())
    if not text:
        raise QuestionError("ask a question")
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionError(f"a question has at most {MAX_QUESTION_CHARS} characters")
    return text


def retrieve(question: str, *, story: int | None = None, article: int | None = None) -> list[Source]:
    """The sentences of the desk's articles that best answer ``question``, best first."""
    from newsdesk.news.models import Article
    from newsdesk.search.engine import search

    ids: list[int] = []
    if article is not None:
        ids.append(article)
    results = search(question, mode="hybrid", story=story, limit=RETRIEVED_ARTICLES)
    ids.extend(hit.article_id for hit in results.hits if hit.article_id not in ids)
    if not ids:
        return []
    articles = {
        a.pk: a
        for a in Article.objects.filter(pk__in=ids[: RETRIEVED_ARTICLES + 1])
        .select_related("source")
        .only("id", "title", "text", "sort_at", "source__id", "source__name")
    }
    scored: list[tuple[float, int, Source]] = []
    for rank, article_id in enumerate(ids):
        found = articles.get(article_id)
        if found is None:
            continue
        title_bonus = 0.1 * grounding.relevance(question, found.title)
        ranked = sorted(
            (
                (grounding.relevance(question, text) + title_bonus, i, text)
                for i, text in enumerate(grounding.article_sentences(found.text))
            ),
            key=lambda row: (-row[0], row[1]),
        )
        for score, _, text in ranked[:SENTENCES_PER_ARTICLE]:
            if score > 0:
                scored.append(
                    (score, rank, Source(found.pk, text, found.source.name, found.sort_at, found.title))
                )
    scored.sort(key=lambda row: (-row[0], row[1]))
    return [source for _, _, source in scored[:MAX_EVIDENCE]]


def relevant(question: str, sources: Sequence[Source]) -> bool:
    """Whether the evidence is about what was asked (see the module docstring)."""
    if not sources:
        return False
    names = grounding._names(question) | {
        grounding._key(grounding.fold(w))
        for w in re.findall(r"\w+", question)[:1]
        if w[:1].isupper() and w.lower() not in _QUESTION_WORDS
    }
    held = {grounding._key(w) for s in sources for w in grounding.words(s.text + " " + s.title)}
    if not names <= held:
        return False
    return max(grounding.relevance(question, s.text + " " + s.title) for s in sources) >= MIN_RELEVANCE


_QUESTION_WORDS = frozenset(
    {
        "what",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "which",
        "is",
        "are",
        "was",
        "were",
        "did",
        "do",
        "does",
        "has",
        "have",
        "had",
        "can",
        "could",
        "will",
        "would",
        "should",
        "tell",
        "give",
        "list",
        "summarise",
        "summarize",
        "explain",
        "describe",
        "the",
        "a",
        "an",
        "in",
        "on",
        "any",
    }
)


def answer(question: str, model: LanguageModel, **where: Any) -> Answer:
    """The whole answer at once (the API and the CLI); see ``answer_stream``."""
    result = Answer(clean_question(question))
    for event in answer_stream(question, model, **where):
        if event["type"] == "done":
            result.refused = event["refused"]
            result.mode = event["mode"]
            result.model_id = event["model"]
            result.retrieved = event["retrieved"]
        elif event["type"] == "sentence":
            result.sentences.append(event["sentence"])
    return result


def answer_stream(
    question: str, model: LanguageModel, *, story: int | None = None, article: int | None = None
) -> Iterator[dict[str, Any]]:
    """Events: ``{"type": "sentence", "sentence": Sentence}`` as each checked sentence is ready, then
    ``{"type": "done", "refused", "mode", "model", "retrieved"}``."""
    question = clean_question(question)
    sources = retrieve(question, story=story, article=article)
    if not relevant(question, sources):
        yield {
            "type": "done",
            "refused": True,
            "mode": "refused",
            "model": model.model_id,
            "retrieved": len(sources),
        }
        return
    shown = 0
    if model.can_generate:
        task = f"Answer this question from the sources, in at most four sentences: {question}"
        messages = [Message(role, content) for role, content in grounding.prompt(task, sources)]
        try:
            for sentence in _grounded_as_written(model.stream(messages, max_tokens=ANSWER_TOKENS), sources):
                shown += 1
                yield {"type": "sentence", "sentence": sentence}
        except LanguageModelError:
            log.exception("the model failed to answer")
    mode = "model"
    if not shown:
        mode = "extractive"
        for source in sources[:EXTRACTIVE_SENTENCES]:
            if grounding.relevance(question, source.text) >= MIN_RELEVANCE / 2:
                yield {"type": "sentence", "sentence": Sentence(source.text, [source])}
    yield {"type": "done", "refused": False, "mode": mode, "model": model.model_id, "retrieved": len(sources)}


def _grounded_as_written(pieces: Iterator[str], sources: Sequence[Source]) -> Iterator[Sentence]:
    """Checked sentences of a streamed reply, each as soon as the next one begins (or the reply ends)."""
    buffer = ""
    done = 0  # sentences of the buffer already checked
    seen: set[str] = set()
    shown = 0
    for piece in pieces:
        buffer += piece
        pairs = grounding.split_reply(buffer)
        # The last sentence may still be growing (or waiting for its citation): check the others.
        for sentence in grounding.check_sentences(pairs[done : max(done, len(pairs) - 1)], sources, seen):
            shown += 1
            yield sentence
        done = max(done, len(pairs) - 1)
        if shown >= MAX_ANSWER_SENTENCES:
            return
    pairs = grounding.split_reply(buffer)
    yield from grounding.check_sentences(pairs[done:], sources, seen, limit=MAX_ANSWER_SENTENCES - shown)
