"""The process's vector index of article embeddings, shared by the enrichment lane and the web pages.

The enrichment lane adds vectors; pages search them. A lock keeps the two apart, and a process
that only reads (a web node beside a worker node) reloads the index file when a writer saved it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
from django.conf import settings
from django.db import connection
from psycopg.conninfo import make_conninfo

from newsdesk.pipeline.embed import available_embedders, get_embedder
from newsdesk.pipeline.pgvector import PgVectorIndex
from newsdesk.pipeline.vectorindex import Match, USearchIndex


class SharedIndex:
    """A USearchIndex behind a lock, reloaded when its file changes under it."""

    def __init__(self, folder: Path, embedder: str, dimensions: int) -> None:
        self._folder, self._name, self.dimensions = folder, f"{embedder}.usearch", dimensions
        self._lock = threading.Lock()
        self._index = USearchIndex(self.dimensions, folder, name=self._name)
        self._seen = self._mtime()

    def _mtime(self) -> float:
        path = self._folder / self._name
        return path.stat().st_mtime if path.exists() else 0.0

    def add(self, ids: Sequence[int], vectors: npt.ArrayLike) -> None:
        with self._lock:
            self._index.add(ids, vectors)

    def remove(self, ids: Sequence[int]) -> None:
        with self._lock:
            self._index.remove(ids)

    def save(self) -> None:
        with self._lock:
            self._index.save()
            self._seen = self._mtime()

    def search(self, vector: npt.ArrayLike, k: int, exclude: Sequence[int] = ()) -> list[Match]:
        with self._lock:
            if self._mtime() > self._seen:  # another process saved a newer index
                self._index = USearchIndex(self.dimensions, self._folder, name=self._name)

                self._seen = self._mtime()
            return self._index.search(np.asarray(vector, dtype=np.float32), k=k, exclude=exclude)


_indexes: dict[tuple[str, str], SharedIndex | PgVectorIndex] = {}
_lock = threading.Lock()


def embedder_name() -> str:
    return str(settings.NEWSDESK.embedder)


def vector_index() -> SharedIndex | PgVectorIndex:
    """The index of the configured embedder: pgvector where PostgreSQL has it, else usearch under NEWSDESK_HOME."""
    name = embedder_name()
    folder = Path(settings.HOME) / "index"
    choice = settings.NEWSDESK.vector_index
    with _lock:
        key = (str(folder), name)
        if key not in _indexes:
            dimensions = int(available_embedders()[name].dimensions) or get_embedder(name).dimensions
            if choice == "pgvector" or (choice == "auto" and _postgres_has_pgvector()):
                _indexes[key] = PgVectorIndex(_dsn(), dimensions, table=f"newsdesk_vectors_{_safe(name)}")
            else:
                _indexes[key] = SharedIndex(folder, name, dimensions)
        return _indexes[key]


def _postgres_has_pgvector() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
        return cursor.fetchone() is not None


def _dsn() -> str:
    db = settings.DATABASES["default"]
    return make_conninfo(
        dbname=db["NAME"],
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
    )


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name)


def reset_vector_indexes() -> None:
    """Forget the loaded indexes (tests, a change of home or embedder)."""
    with _lock:
        for index in _indexes.values():
            if isinstance(index, PgVectorIndex):
                index.close()
        _indexes.clear()
