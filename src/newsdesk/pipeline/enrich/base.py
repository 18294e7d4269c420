"""The enricher interface, the document it works on, and the registry that finds enrichers.

Built-in enrichers register through the same entry-point group a plugin uses
(``newsdesk.enrichers`` in pyproject.toml), so a plugin is a package with one entry point.

Every enricher says which languages it can read (``languages``: a set of ISO 639-1 codes, or
None for any) and whether it needs a trained spaCy model of that language (``needs_model``).
``run_enrichers`` first settles each document's language (``pipeline.language.decide``), then
gives each enricher only the documents it can read; the others record why it was skipped
(``Document.skipped``), so the article's page can say which analyses ran.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from newsdesk.pipeline import language as languages
from newsdesk.plugins import load_plugins

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "newsdesk.enrichers"
# The language the pipeline falls back to when none can be decided (a text without letters, or
# one the detector is unsure of): the English model reads it, as before languages were decided.
DEFAULT_LANGUAGE = "en"

# What the enrichers that do not declare it themselves can read: (languages, needs a trained model).
# Entities come from spaCy's NER (English and French models); quotes and attributions read English
# verbs of saying and English cue phrases.
DECLARED_LANGUAGES: dict[str, tuple[frozenset[str] | None, bool]] = {
    "entities": (frozenset({"en", "fr"}), True),
    "quotes": (frozenset({"en"}), True),
    "attributions": (frozenset({"en"}), False),
}


@dataclass
class Document:
    """One article as enrichers see it; each enricher writes its result under its name."""

    title: str
    text: str
    id: str | int | None = None
    # The page's declared language; once ``run_enrichers`` has settled it, the article's language.
    language: str | None = None
    source: str | None = None  # the outlet's name or domain
    published_at: datetime | None = None
    feed_language: str | None = None  # what the feed's channel declares
    outlet_language: str | None = None  # what is known of the outlet
    # Set by ``settle_language``: how the language was decided (None until then).
    language_decision: languages.Decision | None = None
    # Set by the "nlp" enricher: a spaCy Doc of title and text (``body_offset`` is where the text starts),
    # and the language of the trained model that parsed it (None for a tokenizer-only pipeline).
    spacy_doc: Any = None
    body_offset: int = 0
    model_language: str | None = None
    results: dict[str, Any] = field(default_factory=dict)
    # Which enrichers ran over the document, in order, and why the others did not.
    ran: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def full_text(self) -> str:
        """Title and text as the nlp step parses them."""
        return f"{self.title}\n\n{self.text}" if self.title else self.text


class Enricher(ABC):
    """One step of enrichment over a batch of documents.

    Subclasses set ``name`` and ``version`` (bump it when results change, so ``reenrich``
    can find stale articles) and ``requires`` (names of enrichers whose results they read).
    """

    name: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    requires: ClassVar[tuple[str, ...]] = ()
    # The languages it reads (ISO 639-1 codes), None for any; and whether it needs a trained
    # spaCy model of the document's language. An enricher that leaves them unset gets them from
    # DECLARED_LANGUAGES, else reads any language.
    languages: ClassVar[frozenset[str] | None] = None
    needs_model: ClassVar[bool] = False

    @abstractmethod
    def enrich(self, docs: Sequence[Document]) -> None:
        """Write this enricher's result into ``doc.results[self.name]`` for every document."""


def declared_languages(enricher: Enricher | type[Enricher]) -> tuple[frozenset[str] | None, bool]:
    """(languages, needs_model) of an enricher: its own declaration, else DECLARED_LANGUAGES."""
    cls = enricher if isinstance(enricher, type) else type(enricher)
    for klass in cls.__mro__:
        if klass is Enricher:
            break
        if "languages" in vars(klass) or "needs_model" in vars(klass):
            return cls.languages, cls.needs_model
    return DECLARED_LANGUAGES.get(cls.name, (None, False))


def skip_reason(enricher: Enricher, doc: Document) -> str | None:
    """Why ``enricher`` cannot read ``doc`` (its language is not one it reads, or no model parsed it), else None."""
    supported, needs_model = declared_languages(enricher)
    code = doc.language or DEFAULT_LANGUAGE
    if supported is not None and code not in supported:
        return f"not analysed for {languages.language_name(code)}"
    if needs_model and doc.spacy_doc is not None and doc.model_language != code:
        return f"no {languages.language_name(code)} language model installed"
    return None


def settle_language(doc: Document) -> languages.Decision:
    """Decide the document's language from its declarations and its text; sets ``doc.language``.

    A document already settled keeps its decision. When nothing can be decided the document is
    read as DEFAULT_LANGUAGE (the decision's ``source`` says "default").
    """
    if doc.language_decision is not None:
        return doc.language_decision
    decision = languages.decide(
        doc.title, doc.text, page=doc.language, feed=doc.feed_language, outlet=doc.outlet_language
    )
    if decision.language is None:
        decision = languages.Decision(DEFAULT_LANGUAGE, "default", decision.declared, decision.detected)
    doc.language_decision = decision
    doc.language = decision.language
    return decision


class UnknownEnricher(KeyError):
    """A setting names an enricher that no installed package provides."""


def available_enrichers() -> dict[str, type[Enricher]]:
    """Every enricher class installed, built-in or plugin, by name."""
    return load_plugins(ENTRY_POINT_GROUP)


def resolve_order(
    names: Iterable[str], registry: dict[str, type[Enricher]] | None = None
) -> list[type[Enricher]]:
    """The enrichers named, each after those it requires (added when missing); raises UnknownEnricher."""
    registry = available_enrichers() if registry is None else registry
    ordered: list[type[Enricher]] = []
    seen: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if name in seen:
            return
        if name in trail:
            raise UnknownEnricher(f"enrichers require each other in a loop: {' -> '.join((*trail, name))}")
        if name not in registry:
            raise UnknownEnricher(
                f"no enricher named {name!r} is installed (known: {', '.join(sorted(registry))})"
            )
        cls = registry[name]
        for needed in cls.requires:
            visit(needed, (*trail, name))
        seen.add(name)
        ordered.append(cls)

    for name in names:
        visit(name, ())
    return ordered


def run_enrichers(docs: Sequence[Document], enrichers: Sequence[Enricher]) -> None:
    """Settle each document's language, then run each enricher, in order, over the documents it reads.

    A document an enricher cannot read gets no result from it (``doc.results`` has no entry) and
    the reason in ``doc.skipped``; those it read list it in ``doc.ran``.
    """
    for doc in docs:
        settle_language(doc)
    for enricher in enrichers:
        todo = []
        for doc in docs:
            reason = skip_reason(enricher, doc)
            if reason is None:
                todo.append(doc)
            else:
                doc.skipped[enricher.name] = reason
        if todo:
            enricher.enrich(todo)
        for doc in todo:
            doc.ran.append(enricher.name)


def analyses(doc: Document) -> dict[str, Any]:
    """What ran over a document and what was skipped, with its language decision, as JSON can hold it."""
    decision = doc.language_decision
    return {
        "language": doc.language,
        "decision": decision.as_dict() if decision else None,
        "ran": list(doc.ran),
        "skipped": dict(doc.skipped),
    }
