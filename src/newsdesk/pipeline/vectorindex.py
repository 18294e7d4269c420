"""Nearest-neighbour search over article vectors behind one small interface.

``VectorIndex`` keeps integer ids (article primary keys) with unit vectors and answers cosine
queries. ``USearchIndex`` is the embedded default (an HNSW graph in one file under a folder,
e.g. ``NEWSDESK_HOME``); ``ExactIndex`` is numpy brute force for small sets and tests. A
pgvector backend fits the same five methods.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

Match = tuple[int, float]


class VectorIndexError(RuntimeError):
    """A vector has the wrong shape, or an index file cannot be read."""


def write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """Have ``write`` fill a temporary file beside ``path``, fsync it, then rename it over ``path``.

    A reader sees the old file or the new one, never half of one; a process killed mid-write
    leaves at most a stray temporary file (removed by the next write of the same process id).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(temporary)
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    try:
        folder = os.open(path.parent, os.O_RDONLY)
    except OSError:  # some platforms cannot open a directory; the rename is done all the same
        return
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _as_matrix(vectors: npt.ArrayLike, dimensions: int) -> npt.NDArray[np.float32]:
    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    if matrix.ndim != 2 or matrix.shape[1] != dimensions:
        raise VectorIndexError(f"expected vectors of {dimensions} components, got shape {matrix.shape}")
    return matrix


class VectorIndex(ABC):
    """Integer ids with vectors; ``search`` returns (id, cosine similarity), best first."""

    def __init__(self, dimensions: int) -> None:
        self.dimensions = dimensions

    @abstractmethod
    def add(self, ids: Sequence[int], vectors: npt.ArrayLike) -> None:
        """Add or replace the vectors of ``ids``; raises VectorIndexError on a shape mismatch."""

    @abstractmethod
    def remove(self, ids: Iterable[int]) -> None:
        """Forget ``ids``; unknown ids are ignored."""

    @abstractmethod
    def search(self, vector: npt.ArrayLike, k: int = 10, exclude: Iterable[int] = ()) -> list[Match]:
        """Up to ``k`` (id, similarity) pairs nearest ``vector``, leaving out ``exclude``."""

    @abstractmethod
    def save(self) -> None:
        """Write the index to its file (a no-op for memory-only indexes)."""

    @abstractmethod
    def __len__(self) -> int: ...

    def __contains__(self, item_id: int) -> bool:
        return item_id in self.ids()

    @abstractmethod
    def ids(self) -> set[int]:
        """Every id held."""


class ExactIndex(VectorIndex):
    """Brute-force cosine search in numpy; optional ``path`` (an ``.npz`` file) persists it."""

    def __init__(self, dimensions: int, path: str | Path | None = None) -> None:
        super().__init__(dimensions)
        self.path = Path(path) if path else None
        self._ids: list[int] = []
        self._rows: dict[int, int] = {}
        self._matrix = np.zeros((0, dimensions), dtype=np.float32)
        if self.path and self.path.exists():
            self._load(self.path)

    def add(self, ids: Sequence[int], vectors: npt.ArrayLike) -> None:
        """Add or replace the vectors of ``ids``; raises VectorIndexError on a shape mismatch."""
        matrix = _normalised(_as_matrix(vectors, self.dimensions))
        if len(ids) != len(matrix):
            raise VectorIndexError(f"{len(ids)} ids for {len(matrix)} vectors")
        self.remove(ids)
        start = len(self._ids)
        self._ids.extend(int(i) for i in ids)
        self._rows.update({int(i): start + n for n, i in enumerate(ids)})
        self._matrix = np.vstack([self._matrix, matrix])

    def remove(self, ids: Iterable[int]) -> None:
        """Forget ``ids``; unknown ids are ignored."""
        gone = {int(i) for i in ids} & self._rows.keys()
        if not gone:
            return
        keep = [row for row, item in enumerate(self._ids) if item not in gone]
        self._ids = [self._ids[row] for row in keep]
        self._matrix = self._matrix[keep]
        self._rows = {item: row for row, item in enumerate(self._ids)}

    def search(self, vector: npt.ArrayLike, k: int = 10, exclude: Iterable[int] = ()) -> list[Match]:
        """Up to ``k`` (id, similarity) pairs nearest ``vector``, leaving out ``exclude``."""
        if not self._ids or k <= 0:
            return []
        query = _normalised(_as_matrix(vector, self.dimensions))[0]
        scores = self._matrix @ query
        skip = {int(i) for i in exclude}
        order = np.argsort(-scores, kind="stable")
        out: list[Match] = []
        for row in order:
            item = self._ids[row]
            if item not in skip:
                out.append((item, float(scores[row])))
                if len(out) == k:
                    break
        return out

    def save(self) -> None:
        """Write ids and vectors to ``path`` (atomically) when one was given."""
        if self.path is None:
            return

        def write(target: Path) -> None:
            with open(target, "wb") as handle:
                np.savez(handle, ids=np.array(self._ids, dtype=np.int64), vectors=self._matrix)

        write_atomically(self.path, write)

    def _load(self, path: Path) -> None:
        try:
            with np.load(path) as data:
                ids, matrix = data["ids"].tolist(), data["vectors"]
        except (OSError, KeyError, ValueError, EOFError) as exc:
            raise VectorIndexError(f"cannot read vector index {path}: {exc}") from exc
        self.add(ids, matrix)

    def ids(self) -> set[int]:
        """Every id held."""
        return set(self._ids)

    def __len__(self) -> int:
        return len(self._ids)


class USearchIndex(VectorIndex):
    """An HNSW index (usearch, cosine) kept in ``folder/name``; loaded from there when present.

    Vectors are stored as float16 (half the memory; cosine ranks barely move) and the graph is
    built with a small ``expansion_add``: on 2 cores the defaults of usearch add under 1,000
    vectors a second, these about twice as many.

    ``view=True`` maps the file read-only instead of loading it (``usearch.Index.view``): the
    pages are the operating system's file cache, shared by every process that searches, and
    nothing is copied; such an index searches but refuses ``add`` and ``remove``. ``empty=True``
    starts with no vectors whatever the file holds (it is replaced at the next ``save``). ``save``
    writes atomically (temporary file, fsync, rename), so a kill mid-save never tears the file.
    """

    def __init__(
        self,
        dimensions: int,
        folder: str | Path,
        name: str = "vectors.usearch",
        dtype: str = "f16",
        connectivity: int = 16,
        expansion_add: int = 32,
        expansion_search: int = 64,
        view: bool = False,
        empty: bool = False,
    ) -> None:
        """Open or create the index file; raises VectorIndexError when it cannot be read or does not fit."""
        from usearch.index import Index  # imported here so the default install stays light to import

        super().__init__(dimensions)
        self.path = Path(folder) / name
        self._index = Index(
            ndim=dimensions,
            metric="cos",
            dtype=dtype,
            connectivity=connectivity,
            expansion_add=expansion_add,
            expansion_search=expansion_search,
        )
        self.read_only = False
        if not empty and self.path.exists():
            try:
                if view:
                    self._index.view(str(self.path))
                else:
                    self._index.load(str(self.path))
            except (RuntimeError, ValueError, OSError, EOFError) as exc:
                raise VectorIndexError(f"cannot read vector index {self.path}: {exc}") from exc
            if self._index.ndim != dimensions:
                raise VectorIndexError(f"{self.path} holds {self._index.ndim}-d vectors, not {dimensions}")
            self.read_only = view

    def _writable(self) -> None:
        if self.read_only:
            raise VectorIndexError(
                f"{self.path} is open read-only (a view); open it without view= to change it"
            )

    def add(self, ids: Sequence[int], vectors: npt.ArrayLike) -> None:
        """Add or replace the vectors of ``ids``; raises VectorIndexError on a shape mismatch."""
        self._writable()
        matrix = _as_matrix(vectors, self.dimensions)
        keys = np.asarray(ids, dtype=np.uint64)
        if len(keys) != len(matrix):
            raise VectorIndexError(f"{len(keys)} ids for {len(matrix)} vectors")
        if not len(keys):
            return
        self.remove(keys.tolist())  # usearch would keep both vectors of a key otherwise
        self._index.add(keys, matrix)

    def remove(self, ids: Iterable[int]) -> None:
        """Forget ``ids``; unknown ids are ignored."""
        self._writable()
        keys = np.asarray(list(ids), dtype=np.uint64)
        if not len(keys):
            return
        present = keys[np.asarray(self._index.contains(keys), dtype=bool).reshape(-1)]
        if len(present):
            self._index.remove(present)

    def search(self, vector: npt.ArrayLike, k: int = 10, exclude: Iterable[int] = ()) -> list[Match]:
        """Up to ``k`` (id, similarity) pairs nearest ``vector``, leaving out ``exclude``."""
        if len(self._index) == 0 or k <= 0:
            return []
        query = _as_matrix(vector, self.dimensions)[0]
        skip = {int(i) for i in exclude}
        matches = self._index.search(query, k + len(skip))
        out: list[Match] = []
        for key, distance in zip(matches.keys.tolist(), matches.distances.tolist(), strict=True):
            if key not in skip:
                out.append((int(key), 1.0 - float(distance)))  # usearch's cosine distance is 1 - similarity
        return out[:k]

    def save(self) -> None:
        """Write the index file atomically (creating its folder); a read-only view has nothing to write."""
        if self.read_only:
            return
        write_atomically(self.path, lambda target: self._index.save(str(target)))

    def ids(self) -> set[int]:
        """Every id held."""
        # One call for all keys: indexing the keys one by one costs a scan each (quadratic in usearch).
        return {int(key) for key in np.asarray(self._index.keys)}

    def __contains__(self, item_id: int) -> bool:
        return int(item_id) in self._index

    def __len__(self) -> int:
        return len(self._index)


def _normalised(matrix: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
