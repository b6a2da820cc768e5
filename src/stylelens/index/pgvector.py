"""The catalog's vectors in PostgreSQL with pgvector: an HNSW index on cosine distance, filters in SQL.

Used on Azure (Flexible Server with the VECTOR extension allowed), where several API replicas must see one index.
The index keeps its own table, `catalog_vectors`, created here rather than by the Alembic migrations: its vector
column's dimension is the embedding model's, and SQLite (the embedded default) has no vector type. Writes commit at
once, so `save()` has nothing to do. Filtered searches use pgvector's iterative index scan, so a selective filter
still returns k items when k exist (up to `hnsw.max_scan_tuples` visited, 20,000 by default). With
`half_precision`, the table keeps float32 vectors but the HNSW graph indexes them as halfvec (float16): about half
the index memory per item (benchmarks/pgvector_vs_hnsw.py measures both).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import Any

import numpy as np
from pgvector.psycopg import register_vector
from sqlalchemy import Engine, create_engine, event

from stylelens.index.base import IndexFilter, ItemAttributes, Neighbour, Vector

TABLE = "catalog_vectors"


def psycopg_url(url: str) -> str:
    """SQLAlchemy URL with the psycopg 3 driver (a bare postgresql:// would ask for psycopg2)."""
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql+psycopg://", url)


class PgVectorIndex:
    """Approximate cosine search over the catalog in PostgreSQL, with filters on category, colour, price, stock."""

    def __init__(
        self,
        url: str,
        dim: int,
        *,
        m: int = 16,
        ef_construction: int = 64,
        ef_search: int = 128,
        half_precision: bool = False,
        pool_size: int = 4,
    ) -> None:
        self.dim = dim
        self.half_precision = half_precision
        # The expression the graph indexes; searches must order by the same one for the planner to use it.
        self.indexed = f"(embedding::halfvec({dim}))" if half_precision else "embedding"
        self.graph = f"{TABLE}_hnsw_half" if half_precision else f"{TABLE}_hnsw"
        self.ef_search = ef_search
        # The attributes of this thread's last search hits: search asks for the neighbours' categories right
        # after (one query instead of one per neighbour). Any write through this index clears them.
        self._recent = threading.local()
        self.engine: Engine = create_engine(psycopg_url(url), pool_pre_ping=True, pool_size=pool_size)
        with self.engine.begin() as conn:
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS vector")
        self.engine.dispose()  # connections opened before the extension existed cannot adapt vectors
        event.listen(self.engine, "connect", lambda dbapi, _record: register_vector(dbapi))
        try:
            self._create_table(m, ef_construction)
        except Exception:
            self.engine.dispose()
            raise

    def _create_table(self, m: int, ef_construction: int) -> None:
        with self.engine.begin() as conn:
            conn.exec_driver_sql(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (label bigint PRIMARY KEY, embedding vector({self.dim}) NOT NULL,"
                " category text NOT NULL, price double precision NOT NULL, in_stock boolean NOT NULL,"
                " colors text[] NOT NULL DEFAULT '{}')"
            )
            found = conn.exec_driver_sql(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                f" WHERE attrelid = '{TABLE}'::regclass AND attname = 'embedding'"
            ).scalar_one()
            if found != f"vector({self.dim})":
                raise ValueError(f"table {TABLE} holds {found}, expected dim {self.dim}")
            ops = "halfvec_cosine_ops" if self.half_precision else "vector_cosine_ops"
            conn.exec_driver_sql(
                f"CREATE INDEX IF NOT EXISTS {self.graph} ON {TABLE} USING hnsw ({self.indexed} {ops})"
                f" WITH (m = {int(m)}, ef_construction = {int(ef_construction)})"
            )
            conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {TABLE}_category ON {TABLE} (category)")

    def __len__(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.exec_driver_sql(f"SELECT count(*) FROM {TABLE}").scalar_one())

    def labels(self) -> set[int]:
        with self.engine.connect() as conn:
            return {int(label) for label in conn.exec_driver_sql(f"SELECT label FROM {TABLE}").scalars()}

    def attributes(self, label: int) -> ItemAttributes | None:
        recent: dict[int, ItemAttributes] = getattr(self._recent, "hits", {})
        if label in recent:
            return recent[label]
        with self.engine.connect() as conn:
            row = conn.exec_driver_sql(
                f"SELECT category, price, in_stock, colors FROM {TABLE} WHERE label = %s", (int(label),)
            ).first()
        return None if row is None else ItemAttributes(row[0], float(row[1]), bool(row[2]), tuple(row[3]))

    def upsert(self, labels: list[int], vectors: Vector, attributes: list[ItemAttributes]) -> None:
        """Add items, or replace the vector and attributes of items already there."""
        if not labels:
            return
        self._recent.hits = {}
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(labels), self.dim)
        rows = [
            (int(label), vector, a.category, float(a.price), bool(a.in_stock), list(a.colors))
            for label, vector, a in zip(labels, vectors, attributes, strict=True)
        ]
        with self.engine.begin() as conn:
            conn.exec_driver_sql(
                f"INSERT INTO {TABLE} (label, embedding, category, price, in_stock, colors)"
                " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (label) DO UPDATE SET embedding = EXCLUDED.embedding,"
                " category = EXCLUDED.category, price = EXCLUDED.price, in_stock = EXCLUDED.in_stock,"
                " colors = EXCLUDED.colors",
                rows,
            )

    def set_attributes(self, label: int, attributes: ItemAttributes) -> None:
        """Change what filters see for an item (price, stock...) without touching its vector."""
        a = attributes
        self._recent.hits = {}
        with self.engine.begin() as conn:
            conn.exec_driver_sql(
                f"UPDATE {TABLE} SET category = %s, price = %s, in_stock = %s, colors = %s WHERE label = %s",
                (a.category, float(a.price), bool(a.in_stock), list(a.colors), int(label)),
            )

    def delete(self, labels: list[int]) -> None:
        self._recent.hits = {}
        with self.engine.begin() as conn:
            conn.exec_driver_sql(f"DELETE FROM {TABLE} WHERE label = ANY(%s)", ([int(x) for x in labels],))

    def search(self, vector: Vector, k: int, where: IndexFilter | None = None) -> list[Neighbour]:
        """The k items most similar to `vector` that pass the filter, best first."""
        if k <= 0:
            return []
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(self.dim)
        conditions, params = _where_sql(where or IndexFilter())
        sql = (
            f"SELECT label, {self.indexed} <=> %s{self._cast} AS distance, category, price, in_stock, colors"
            f" FROM {TABLE} {conditions} ORDER BY distance LIMIT %s"
        )
        with self.engine.begin() as conn:
            conn.exec_driver_sql(f"SET LOCAL hnsw.ef_search = {max(self.ef_search, min(k, 1000))}")
            if conditions:
                # Keep the planner on the HNSW scan: left alone, it may read the matching rows and sort them all
                # (exact, but linear in the catalog). The iterative scan then walks on until k rows pass.
                conn.exec_driver_sql("SET LOCAL hnsw.iterative_scan = strict_order")
                conn.exec_driver_sql("SET LOCAL enable_sort = off")
            # The graph's own distance arithmetic may differ from the SELECT's in the last float bits: re-sort.
            rows = sorted(conn.exec_driver_sql(sql, (query, *params, int(k))).all(), key=lambda r: float(r[1]))
        self._recent.hits = {int(r[0]): ItemAttributes(r[2], float(r[3]), bool(r[4]), tuple(r[5])) for r in rows}
        return [Neighbour(int(label), 1.0 - float(distance)) for label, distance, *_ in rows]

    @property
    def _cast(self) -> str:
        return f"::halfvec({self.dim})" if self.half_precision else ""

    def save(self) -> None:
        """Nothing to do: every write is already committed."""

    def clear(self) -> None:
        """Remove every item (a full rebuild starts here)."""
        self._recent.hits = {}
        with self.engine.begin() as conn:
            conn.exec_driver_sql(f"TRUNCATE {TABLE}")

    def close(self) -> None:
        self.engine.dispose()


def _where_sql(where: IndexFilter) -> tuple[str, Iterable[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if where.category is not None:
        clauses.append("category = %s")
        params.append(where.category)
    if where.color is not None:
        clauses.append("%s = ANY(colors)")
        params.append(where.color)
    if where.max_price is not None:
        clauses.append("price <= %s")
        params.append(float(where.max_price))
    if where.in_stock is not None:
        clauses.append("in_stock = %s")
        params.append(bool(where.in_stock))
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), params
