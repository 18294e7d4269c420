"""The process's vector index of article embeddings, shared by the story placer and the web pages.

Only the story placer writes it (``add``, ``remove``, ``save``), under the database lease
``stories``; pages only search it. With pgvector (PostgreSQL with the extension) the vectors
live in the database. Otherwise (embedded mode) they live in one usearch file under
``NEWSDESK_HOME/index``:

* nothing is read until the first search or write;
* a process that only searches maps the file read-only (``usearch.Index.view``), so web
  processes share the operating system's cached pages instead of each loading the whole index,
  and map it again when the placer has saved a newer file (saves are atomic renames);
* the placer loads the file to change it, catches up with the stored ``ArticleVector`` rows
  (a crash between a batch's commit and its save leaves nothing missing), and saves atomically;
* a file that cannot be read (torn by a kill, truncated, foreign) is rebuilt from the
  ``ArticleVector`` rows with a warning, instead of failing every later batch and page.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
from django.conf import settings
from django.db import connection
from psycopg.conninfo import make_conninfo

from newsdesk.pipeline.embed import available_embedders, get_embedder
from newsdesk.pipeline.pgvector import PgVectorIndex
from newsdesk.pipeline.vectorindex import Match, USearchIndex, VectorIndexError

log = logging.getLogger(__name__)

REBUILD_CHUNK = 2000

FileIdentity = tuple[int, int, int] | None


class SharedIndex:
    """The usearch file of one embedder behind a lock: viewed to search, loaded to write, rebuilt when unreadable."""

    def __init__(self, folder: Path, embedder: str, dimensions: int) -> None:
        self._folder, self._embedder, self.dimensions = folder, embedder, dimensions
        self._name = f"{embedder}.usearch"
        self.path = folder / self._name
        self._lock = threading.Lock()
        self._index: USearchIndex | None = None  # nothing is read before the first use
        self._seen: FileIdentity = None  # the file the index was read from (or last saved as)
        self._dirty = False  # changes not saved yet

    def _identity(self) -> FileIdentity:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _current(self, *, write: bool) -> USearchIndex:
        """The index to use now, (re)opened when missing, replaced on disk, or read-only for a write."""
        index = self._index
        if index is not None and self._dirty:
            return index  # our own unsaved changes are the newest state there is
        identity = self._identity()
        if index is None or identity != self._seen or (write and index.read_only):
            index = self._open(identity, write=write)
        return index

    def _open(self, identity: FileIdentity, *, write: bool) -> USearchIndex:
        fresh: USearchIndex | None = None
        if identity is not None:
            try:
                fresh = USearchIndex(self.dimensions, self._folder, name=self._name, view=not write)
            except VectorIndexError as exc:
                log.warning(
                    "vector index %s cannot be read (%s); rebuilding it from the stored vectors",
                    self.path,
                    exc,
                )
        if fresh is None:
            fresh = self._empty()
            added = self._catch_up(fresh)
            if identity is not None or added:
                log.warning("vector index %s rebuilt in memory from %d stored vectors", self.path, added)
            self._dirty = write and (
                identity is not None or added > 0
            )  # the placer's next save repairs the file
        elif write:
            self._dirty = self._catch_up(fresh) > 0
        self._index, self._seen = fresh, identity
        return fresh

    def _empty(self) -> USearchIndex:
        """A new index in memory that will be saved to this index's file (nothing is read from it)."""
        return USearchIndex(self.dimensions, self._folder, name=self._name, empty=True)

    def _catch_up(self, index: USearchIndex) -> int:
        """Make the index hold exactly the stored vectors' ids: add the missing, drop the extra; returns changes."""
        stored = set(stored_vector_ids(self._embedder))
        held = index.ids()
        extra = held - stored
        if extra:
            index.remove(extra)
        missing = sorted(stored - held)
        for ids, matrix in stored_vectors(self._embedder, missing):
            index.add(ids, matrix)
        return len(missing) + len(extra)

    def add(self, ids: Sequence[int], vectors: npt.ArrayLike) -> None:
        with self._lock:
            self._current(write=True).add(ids, vectors)
            self._dirty = True

    def remove(self, ids: Sequence[int]) -> None:
        with self._lock:
            self._current(write=True).remove(ids)
            self._dirty = True

    def save(self) -> None:
        """Write unsaved changes to the file (atomically: temporary file, fsync, rename)."""
        with self._lock:
            if self._index is None or not self._dirty:
                return
            self._index.save()
            self._seen, self._dirty = self._identity(), False

    def discard(self) -> None:
        """Drop unsaved changes (a placement batch rolled back): the file is read again on next use."""
        with self._lock:
            self._index, self._seen, self._dirty = None, None, False

    def search(self, vector: npt.ArrayLike, k: int, exclude: Sequence[int] = ()) -> list[Match]:
        with self._lock:
            index = self._current(write=False)
            return index.search(np.asarray(vector, dtype=np.float32), k=k, exclude=exclude)

    def __len__(self) -> int:
        with self._lock:
            return len(self._current(write=False))


def stored_vector_ids(embedder: str) -> list[int]:
    """The ids of the articles with a stored vector of this embedder."""
    from newsdesk.news.models import ArticleVector

    return list(ArticleVector.objects.filter(embedder=embedder).values_list("article_id", flat=True))


def stored_vectors(
    embedder: str, ids: Sequence[int], chunk: int = REBUILD_CHUNK
) -> Iterator[tuple[list[int], npt.NDArray[np.float32]]]:
    """The stored vectors of these articles, in chunks of (ids, matrix)."""
    from newsdesk.news.models import ArticleVector

    for start in range(0, len(ids), chunk):
        rows = ArticleVector.objects.filter(embedder=embedder, article_id__in=ids[start : start + chunk])
        pairs = list(rows.values_list("article_id", "vector"))
        if pairs:
            matrix = np.vstack([np.frombuffer(bytes(vector), dtype=np.float32) for _, vector in pairs])
            yield [pk for pk, _ in pairs], matrix


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
