"""The enricher interface, the document it works on, and the registry that finds enrichers.

Built-in enrichers register through the same entry-point group a plugin uses
(``newsdesk.enrichers`` in pyproject.toml), so a plugin is a package with one entry point.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from newsdesk.plugins import load_plugins

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "newsdesk.enrichers"


@dataclass
class Document:
    """One article as enrichers see it; each enricher writes its result under its name."""

    title: str
    text: str
    id: str | int | None = None
    language: str | None = None
    source: str | None = None  # the outlet's name or domain
    published_at: datetime | None = None
    # Set by the "nlp" enricher: a spaCy Doc of title and text (``body_offset`` is where the text starts).
    spacy_doc: Any = None
    body_offset: int = 0
    results: dict[str, Any] = field(default_factory=dict)

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

    @abstractmethod
    def enrich(self, docs: Sequence[Document]) -> None:
        """Write this enricher's result into ``doc.results[self.name]`` for every document."""


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
    """Run each enricher over the whole batch, in order."""
    for enricher in enrichers:
        enricher.enrich(docs)
