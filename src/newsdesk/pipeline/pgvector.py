"""A VectorIndex in PostgreSQL with the pgvector extension, for scaled-out deployments.

Every web and worker node sees the same vectors, with no index file to share. Vectors live in one
table (``id bigint primary key, embedding vector(d)``) with an HNSW index for cosine distance.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import psycopg
from psycopg import sql

from newsdesk.pipeline.vectorindex import Match, VectorIndex, VectorIndexError, _as_matrix


def has_pgvector(connection: Any) -> bool:
    """Whether the server can provide the ``vector`` extension (installed or installable)."""
    row = connection.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").fetchone()
    return row is not None


def _literal(vector: npt.NDArray[np.float32]) -> str:
    return "[" + ",".join(f"{x:.7g}" for x in vector.tolist()) + "]"


class PgVectorIndex(VectorIndex):
    """Vectors in a pgvector table; raises VectorIndexError when the server lacks the extension."""

    def __init__(self, dsn: str, dimensions: int, table: str = "newsdesk_vectors") -> None:
        super().__init__(dimensions)
        self._conn = psycopg.connect(dsn, autocommit=True)
        self._table = sql.Identifier(table)
        if not has_pgvector(self._conn):
            raise VectorIndexError(
                "this PostgreSQL server has no pgvector extension (CREATE EXTENSION vector)"
            )
        self._conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        self._conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (id bigint PRIMARY KEY, embedding vector({}) NOT NULL)"
            ).format(self._table, sql.Literal(dimensions))
        )
        self._conn.execute(
            sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING hnsw (embedding vector_cosine_ops)").format(
                sql.Identifier(f"{table}_hnsw"), self._table
            )
        )

    def add(self, ids: Sequence[int], vectors: npt.ArrayLike) -> None:
        matrix = _as_matrix(vectors, self.dimensions)
        if len(ids) != len(matrix):
            raise VectorIndexError(f"{len(ids)} ids for {len(matrix)} vectors")
        statement = sql.SQL(
            "INSERT INTO {} (id, embedding) VALUES (%s, %s::vector) "
            "ON CONFLICT (id) DO UPDATE SET embedding = EXCLUDED.embedding"
        ).format(self._table)
        with self._conn.cursor() as cursor:
            cursor.executemany(statement, [(int(i), _literal(v)) for i, v in zip(ids, matrix, strict=True)])

    def remove(self, ids: Iterable[int]) -> None:
        keys = [int(i) for i in ids]
        if keys:
            self._conn.execute(sql.SQL("DELETE FROM {} WHERE id = ANY(%s)").format(self._table), [keys])

    def search(self, vector: npt.ArrayLike, k: int = 10, exclude: Iterable[int] = ()) -> list[Match]:
        if k <= 0:
            return []
        query = _literal(_as_matrix(vector, self.dimensions)[0])
        skip = [int(i) for i in exclude]
        rows = self._conn.execute(
            sql.SQL(
                "SELECT id, 1 - (embedding <=> %s::vector) FROM {} WHERE NOT (id = ANY(%s)) "
                "ORDER BY embedding <=> %s::vector LIMIT %s"
            ).format(self._table),
            [query, skip, query, k],
        ).fetchall()
        return [(int(row[0]), float(row[1])) for row in rows]

    def save(self) -> None:
        """Nothing to do: every change is committed as it is made."""

    def ids(self) -> set[int]:
        return {int(row[0]) for row in self._conn.execute(sql.SQL("SELECT id FROM {}").format(self._table))}

    def __len__(self) -> int:
        row = self._conn.execute(sql.SQL("SELECT count(*) FROM {}").format(self._table)).fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        self._conn.close()
