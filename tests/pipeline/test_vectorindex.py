"""Tests of the vector indexes: usearch on disk and the exact numpy one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from newsdesk.pipeline.vectorindex import ExactIndex, USearchIndex, VectorIndex, VectorIndexError

DIMENSIONS = 16


def unit_rows(count: int, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).normal(size=(count, DIMENSIONS)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.fixture(params=["usearch", "exact"])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> VectorIndex:
    if request.param == "usearch":
        return USearchIndex(DIMENSIONS, tmp_path)
    return ExactIndex(DIMENSIONS, tmp_path / "vectors.npz")


def reopen(index: VectorIndex, tmp_path: Path) -> VectorIndex:
    if isinstance(index, USearchIndex):
        return USearchIndex(DIMENSIONS, tmp_path)
    return ExactIndex(DIMENSIONS, tmp_path / "vectors.npz")


def test_it_finds_the_nearest_vector_first(index: VectorIndex) -> None:
    rows = unit_rows(50)
    index.add(list(range(100, 150)), rows)
    found = index.search(rows[7], k=3)
    assert found[0][0] == 107
    assert found[0][1] == pytest.approx(1.0, abs=1e-3)
    assert len(found) == 3 and found[0][1] >= found[1][1] >= found[2][1]


def test_it_leaves_out_excluded_ids(index: VectorIndex) -> None:
    rows = unit_rows(20)
    index.add(list(range(20)), rows)
    found = index.search(rows[3], k=5, exclude=[3])
    assert 3 not in [item for item, _ in found] and len(found) == 5


def test_it_removes_and_replaces(index: VectorIndex) -> None:
    rows = unit_rows(10)
    index.add(list(range(10)), rows)
    index.remove([4, 999])
    assert len(index) == 9 and 4 not in index
    assert index.search(rows[4], k=1)[0][0] != 4
    index.add([5], rows[4:5])  # id 5 now carries row 4's vector
    assert len(index) == 9
    assert index.search(rows[4], k=1)[0][0] == 5


def test_it_saves_and_loads(index: VectorIndex, tmp_path: Path) -> None:
    rows = unit_rows(30, seed=3)
    index.add(list(range(30)), rows)
    index.save()
    again = reopen(index, tmp_path)
    assert len(again) == 30 and again.ids() == set(range(30))
    assert again.search(rows[12], k=1)[0][0] == 12


def test_it_answers_nothing_when_empty(index: VectorIndex) -> None:
    assert index.search(unit_rows(1)[0], k=5) == []


def test_it_rejects_vectors_of_the_wrong_size(index: VectorIndex) -> None:
    with pytest.raises(VectorIndexError, match="16 components"):
        index.add([1], np.ones((1, 3), dtype=np.float32))


def test_it_refuses_a_file_of_other_dimensions(tmp_path: Path) -> None:
    first = USearchIndex(DIMENSIONS, tmp_path)
    first.add([1], unit_rows(1))
    first.save()
    with pytest.raises(VectorIndexError, match="16-d"):
        USearchIndex(8, tmp_path)
