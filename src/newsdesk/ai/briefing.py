"""A story's briefing: what happened, who said what, where outlets disagree, what is unconfirmed.

Each section has evidence of its own, picked from the story's stored articles without a model
(``evidence``): the opening sentences of its independent reports (near-copies left out, one report
an outlet, earliest first); the sentences holding its quotes, named speakers first; the sentences
where outlets use different terms for one thing (``news.framing``) or give numbers; the sentences
that hedge ("reportedly", "could not be verified", unnamed sources). The model writes each section
from its evidence (``grounding.prompt``); ``grounding.ground`` keeps only the sentences the cited
evidence supports. A section the model wrote nothing checkable for shows its best evidence sentence
quoted (``quoted``), so a briefing never says more than its sources and is never empty while the
story has reports. Where outlets word one thing differently, the difference is stated by Newsdesk
from the framing table, not by the model.

Briefings are written by the runner (task ``brief_story``), never in a web request, and kept per
story version (``story_version``: its reports and their text hashes), so a story that gains or
edits a report is briefed again.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from newsdesk.ai import grounding
from newsdesk.ai.grounding import Sentence, Source
from newsdesk.ai.language import LanguageModel, LanguageModelError, Message

log = logging.getLogger(__name__)

MAX_REPORTS = 10  # independent reports read per story (earliest first)
OPENING_SENTENCES = 2
MAX_EVIDENCE = 10  # source sentences given to the model per section
SECTION_TOKENS = 128

_HEDGE = re.compile(
    r"\b(reportedly|allegedly|unconfirmed|not (?:been |yet )?(?:independently )?(?:confirmed|verified)|"
    r"could not (?:be )?(?:independently )?(?:confirm|verif)\w*|unverified|is said to|are said to|"
    r"(?:unnamed|anonymous|unidentified) (?:source|official|person|people|diplomat)s?|"
    r"speaking on condition of anonymity|according to (?:a |one |two |several )?(?:source|people|person|official)s? "
    r"(?:familiar|close|with knowledge)|rumou?rs?|claimed|may have|might have|it is unclear|remains unclear)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\b\d[\d,.]*\b")


@dataclass(frozen=True)
class SectionPlan:
    key: str
    title: str
    task: str


SECTIONS = (
    SectionPlan(
        "happened", "What happened", "In two or three short sentences, say what happened, citing the sources."
    ),
    SectionPlan(
        "said",
        "Who said what",
        "In up to three sentences, say who said what (name the speaker in each sentence), citing the sources.",
    ),
    SectionPlan(
        "disagree",
        "Where outlets disagree",
        "In one or two sentences, say where the sources give different facts or numbers, citing both sides. "
        "If they do not differ, write NO REPORT.",
    ),
    SectionPlan(
        "unconfirmed",
        "Still unconfirmed",
        "In one or two sentences, say what is still unconfirmed or rests only on unnamed sources, citing the sources.",
    ),
)


@dataclass
class Section:
    key: str
    title: str
    sentences: list[Sentence] = field(default_factory=list)
    quoted: bool = False  # the model wrote nothing checkable: the best evidence, quoted

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "quoted": self.quoted,
            "sentences": [s.as_dict() | {"attributed": s.attributed} for s in self.sentences],
        }


@dataclass
class Evidence:
    story_id: int
    sections: dict[str, list[Source]]
    stated: list[Sentence]  # what Newsdesk states itself (different terms for one thing)
    reports: int


def story_version(story_id: int) -> str:
    """A hash of the story's reports and their text: a new, dropped or edited report changes it."""
    from newsdesk.news.models import Article

    rows = Article.objects.filter(story_id=story_id).order_by("id").values_list("id", "content_hash", "title")
    digest = hashlib.sha256()
    for article_id, content_hash, title in rows:
        digest.update(f"{article_id}:{content_hash}:{title}\n".encode())
    return digest.hexdigest()


def _reports(story_id: int) -> list[Any]:
    """The story's independent reports, one an outlet, earliest first."""
    from newsdesk.news.models import Article

    articles = (
        Article.objects.filter(story_id=story_id, duplicate_of__isnull=True)
        .select_related("source")
        .only("id", "title", "text", "sort_at", "source__id", "source__name", "language")
        .order_by("sort_at", "id")[: MAX_REPORTS * 4]
    )
    chosen: list[Any] = []
    outlets: set[int] = set()
    for article in articles:
        if article.source_id in outlets:
            continue
        outlets.add(article.source_id)
        chosen.append(article)
        if len(chosen) == MAX_REPORTS:
            break
    return chosen


def _source(article: Any, text: str) -> Source:
    return Source(article.pk, text, article.source.name, article.sort_at, article.title)


def evidence(story_id: int) -> Evidence:
    """The sentences each section is written from (see the module docstring)."""
    from newsdesk.news.models import Quote

    reports = _reports(story_id)
    sentences = {a.pk: grounding.article_sentences(a.text) for a in reports}
    happened: list[Source] = []
    for article in reports:
        happened.extend(_source(article, s) for s in sentences[article.pk][:OPENING_SENTENCES])
    by_id = {a.pk: a for a in reports}
    said: list[Source] = []
    quotes = (
        Quote.objects.filter(article_id__in=list(by_id))
        .order_by("anonymous", "article__sort_at", "position")
        .only("article_id", "text", "anonymous", "position")
    )
    seen: set[str] = set()
    for quote in quotes[:60]:
        sentence = _sentence_holding(by_id[quote.article_id].text, quote.position, quote.text)
        if sentence and sentence not in seen:
            seen.add(sentence)
            said.append(_source(by_id[quote.article_id], sentence))
    numbers: list[Source] = []
    hedged: list[Source] = []
    for article in reports:
        for sentence in sentences[article.pk]:
            if _NUMBER.search(sentence) and len(numbers) < MAX_EVIDENCE:
                numbers.append(_source(article, sentence))
            if _HEDGE.search(sentence) and len(hedged) < MAX_EVIDENCE:
                hedged.append(_source(article, sentence))
    return Evidence(
        story_id,
        {
            "happened": happened[:MAX_EVIDENCE],
            "said": said[:MAX_EVIDENCE],
            "disagree": numbers if len({s.outlet for s in numbers}) > 1 else [],
            "unconfirmed": hedged,
        },
        _term_differences(story_id, reports, sentences),
        len(reports),
    )


def _sentence_holding(text: str, position: int, quote: str) -> str:
    """The stored sentence around a quote (by its offset, else by its opening words)."""
    for sentence in grounding.article_sentences(text[max(0, position - 400) : position + len(quote) + 400]):
        if quote[:40] in sentence or sentence in quote:
            return sentence
    head = quote[:40]
    for sentence in grounding.article_sentences(text):
        if head and head in sentence:
            return sentence
    return ""


def _term_differences(story_id: int, reports: list[Any], sentences: dict[int, list[str]]) -> list[Sentence]:
    """Newsdesk's own sentences on outlets' different terms for one thing, each citing its uses."""
    from newsdesk.news.framing import story_framing
    from newsdesk.news.models import Story

    story = Story.objects.filter(pk=story_id).first()
    if story is None:
        return []
    try:
        framing = story_framing(story)
    except Exception:  # the framing view must never stop a briefing
        log.exception("framing of story %s failed", story_id)
        return []
    by_outlet = {a.source.name: a for a in reports}
    stated: list[Sentence] = []
    for table in framing.contested[:3]:
        uses: list[tuple[str, str, Source]] = []
        for row in table.rows:
            article = by_outlet.get(row.outlet)
            term = row.preferred
            if article is None or not term:
                continue
            sentence = next((s for s in sentences[article.pk] if term.lower() in s.lower()), "")
            if sentence:
                uses.append((row.outlet, term, _source(article, sentence)))
        terms = {term.lower() for _, term, _ in uses}
        if len(terms) < 2:
            continue
        parts = [f"{outlet} writes “{term}”" for outlet, term, _ in uses[:4]]
        stated.append(
            Sentence("Outlets word this differently: " + "; ".join(parts) + ".", [s for *_, s in uses[:4]])
        )
    return stated


def write_section(model: LanguageModel, plan: SectionPlan, sources: Sequence[Source]) -> Section:
    """One section: the model's checked sentences, else the best evidence sentence quoted."""
    section = Section(plan.key, plan.title)
    if not sources:
        return section
    if model.can_generate:
        messages = [Message(role, content) for role, content in grounding.prompt(plan.task, sources)]
        try:
            reply = model.complete(messages, max_tokens=SECTION_TOKENS, temperature=0.0)
        except LanguageModelError:
            log.exception("the model failed on section %s", plan.key)
            reply = ""
        section.sentences = grounding.ground(reply, sources, limit=3)
    if not section.sentences and plan.key != "disagree":
        section.sentences = [Sentence(sources[0].text, [sources[0]])]
        section.quoted = True
    return section


@dataclass
class Briefing:
    story_id: int
    version: str
    model_id: str
    sections: list[Section]
    seconds: float

    @property
    def sentences(self) -> list[Sentence]:
        return [s for section in self.sections for s in section.sentences]


def brief(story_id: int, model: LanguageModel) -> Briefing:
    """Write a story's briefing with ``model`` (not stored; see ``brief_and_store``)."""
    started = time.perf_counter()
    version = story_version(story_id)
    found = evidence(story_id)
    sections: list[Section] = []
    for plan in SECTIONS:
        section = write_section(model, plan, found.sections.get(plan.key, []))
        if plan.key == "disagree" and found.stated:
            section.sentences = found.stated + section.sentences
        if section.sentences:
            sections.append(section)
    return Briefing(story_id, version, model.model_id, sections, time.perf_counter() - started)


def brief_and_store(story_id: int, model: LanguageModel, *, force: bool = False) -> dict[str, Any]:
    """Brief the story unless its stored briefing is of its current version; store it."""
    from newsdesk.ai.models import StoryBriefing
    from newsdesk.news.models import Story

    if not Story.objects.filter(pk=story_id).exists():
        return {"story_id": story_id, "briefed": False, "reason": "no such story"}
    stored = StoryBriefing.objects.filter(story_id=story_id).first()
    if not force and stored is not None and stored.version == story_version(story_id):
        return {"story_id": story_id, "briefed": False, "reason": "current"}
    briefing = brief(story_id, model)
    StoryBriefing.objects.update_or_create(
        story_id=story_id,
        defaults={
            "version": briefing.version,
            "model_id": briefing.model_id,
            "sections": [s.as_dict() for s in briefing.sections],
            "seconds": round(briefing.seconds, 3),
        },
    )
    return {"story_id": story_id, "briefed": True, "seconds": round(briefing.seconds, 3)}
