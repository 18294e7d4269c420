"""Tests of the vector indexes: usearch on disk and the exact numpy one."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from newsdesk.news.vectors import SharedIndex
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


def test_it_saves_atomically_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    index = USearchIndex(DIMENSIONS, tmp_path)
    index.add(list(range(5)), unit_rows(5))
    index.save()
    index.add([9], unit_rows(1, seed=9))
    index.save()
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert USearchIndex(DIMENSIONS, tmp_path).ids() == {0, 1, 2, 3, 4, 9}


def test_it_keeps_the_old_file_when_a_save_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = USearchIndex(DIMENSIONS, tmp_path)
    index.add([1, 2], unit_rows(2))
    index.save()
    index.add([3], unit_rows(1, seed=3))

    def torn_save(target: str) -> None:
        Path(target).write_bytes(b"half an index")
        raise OSError("disk full")

    monkeypatch.setattr(index._index, "save", torn_save)
    with pytest.raises(OSError, match="disk full"):
        index.save()
    assert USearchIndex(DIMENSIONS, tmp_path).ids() == {1, 2}
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_it_searches_a_read_only_view_of_the_file(tmp_path: Path) -> None:
    rows = unit_rows(40, seed=5)
    writer = USearchIndex(DIMENSIONS, tmp_path)
    writer.add(list(range(40)), rows)
    writer.save()
    view = USearchIndex(DIMENSIONS, tmp_path, view=True)
    assert view.read_only and len(view) == 40
    assert view.search(rows[21], k=1)[0][0] == 21
    with pytest.raises(VectorIndexError, match="read-only"):
        view.add([99], rows[:1])


@pytest.mark.parametrize("view", [False, True])
def test_it_reports_a_torn_file_as_an_index_error(tmp_path: Path, view: bool) -> None:
    writer = USearchIndex(DIMENSIONS, tmp_path)
    writer.add(list(range(50)), unit_rows(50))
    writer.save()
    path = tmp_path / "vectors.usearch"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(VectorIndexError, match="cannot read"):
        USearchIndex(DIMENSIONS, tmp_path, view=view)


# --- the desk's shared index (news/vectors.py): lazy, viewed to search, rebuilt when torn ------------


@pytest.fixture
def stored(db: None) -> dict[int, np.ndarray]:
    """Three articles with stored vectors of a 16-component test embedder."""
    from newsdesk.news.models import Article, ArticleVector, Source

    source = Source.objects.create(name="Courier", domain="courier.example")
    rows = unit_rows(3, seed=11)
    vectors = {}
    for n, row in enumerate(rows):
        article = Article.objects.create(source=source, url=f"https://courier.example/{n}", title=f"t{n}")
        ArticleVector.objects.create(
            article=article, embedder="test", vector=row.astype(np.float32).tobytes()
        )
        vectors[article.pk] = row
    return vectors


def shared(tmp_path: Path) -> SharedIndex:
    return SharedIndex(tmp_path, "test", DIMENSIONS)


def test_it_reads_nothing_before_the_first_use(tmp_path: Path) -> None:
    (tmp_path / "test.usearch").write_bytes(b"not an index at all")
    shared(tmp_path)  # no error: the file is not touched yet


def test_it_rebuilds_a_torn_file_from_the_stored_vectors(
    tmp_path: Path, stored: dict[int, np.ndarray], caplog: pytest.LogCaptureFixture
) -> None:
    ids = list(stored)
    placer = shared(tmp_path)
    placer.add(ids, np.vstack(list(stored.values())))
    placer.save()
    path = tmp_path / "test.usearch"
    path.write_bytes(path.read_bytes()[:100])  # killed mid-write, before saves were atomic

    with caplog.at_level(logging.WARNING, logger="newsdesk.news.vectors"):
        reader = shared(tmp_path)
        assert reader.search(stored[ids[1]], k=1)[0][0] == ids[1]
    assert "cannot be read" in caplog.text and "rebuilt" in caplog.text

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="newsdesk.news.vectors"):
        writer = shared(tmp_path)
        extra = unit_rows(1, seed=99)
        writer.add([10_000], extra)
        writer.save()
    assert "cannot be read" in caplog.text
    again = USearchIndex(DIMENSIONS, tmp_path, name="test.usearch")  # the file is whole again
    assert again.ids() == {*ids, 10_000}
    assert reader.search(extra[0], k=1)[0][0] == 10_000  # the reader maps the new file


def test_it_catches_up_with_vectors_stored_after_the_last_save(
    tmp_path: Path, stored: dict[int, np.ndarray]
) -> None:
    ids = list(stored)
    placer = shared(tmp_path)
    placer.add(ids[:1], stored[ids[0]][None, :])
    placer.save()  # then killed after committing the other two vectors, before saving the file
    writer = shared(tmp_path)
    writer.remove([ids[0]])
    writer.add([ids[0]], stored[ids[0]][None, :])
    writer.save()
    assert USearchIndex(DIMENSIONS, tmp_path, name="test.usearch").ids() == set(ids)


def test_it_searches_through_a_view_and_follows_the_placers_saves(
    tmp_path: Path, stored: dict[int, np.ndarray]
) -> None:
    ids = list(stored)
    placer = shared(tmp_path)
    placer.add(ids, np.vstack(list(stored.values())))
    placer.save()
    reader = shared(tmp_path)
    assert reader.search(stored[ids[2]], k=1)[0][0] == ids[2]
    assert reader._index is not None and reader._index.read_only  # mapped, not loaded
    placer.remove([ids[2]])
    placer.save()
    assert ids[2] not in [pk for pk, _ in reader.search(stored[ids[2]], k=3)]
