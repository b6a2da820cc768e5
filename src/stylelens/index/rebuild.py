"""Rebuild the vector index from the embeddings kept in the catalog database."""

from __future__ import annotations

import shutil
from collections.abc import Callable

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from stylelens.catalog.ingest import attributes_of
from stylelens.index.base import VectorIndex
from stylelens.index.hnsw import HnswIndex
from stylelens.storage.models import Product, ProductEmbedding

BATCH = 1000


def count_indexable(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(ProductEmbedding)) or 0


def rebuild_index(
    sessions: sessionmaker[Session], index: VectorIndex, on_progress: Callable[[int], None] | None = None
) -> int:
    """Write a fresh, compact index beside the old one, then swap it in; returns the item count.

    A pgvector index is emptied and refilled in place (its table is the shared one every replica reads).
    """
    if not isinstance(index, HnswIndex):
        index.clear()  # type: ignore[attr-defined]
        _fill(sessions, index, on_progress)
        return len(index)
    fresh = HnswIndex(index.path.with_name(index.path.name + ".rebuild"), index.dim)
    shutil.rmtree(fresh.path, ignore_errors=True)
    fresh = HnswIndex(fresh.path, index.dim)
    _fill(sessions, fresh, on_progress)
    fresh.save()
    index.replace_with(fresh)
    return len(index)


def _fill(sessions: sessionmaker[Session], fresh: VectorIndex, on_progress: Callable[[int], None] | None) -> None:
    last = 0
    with sessions() as session:
        while True:
            query = (
                select(Product, ProductEmbedding)
                .join(ProductEmbedding)
                .where(Product.pk > last)
                .order_by(Product.pk)
                .limit(BATCH)
            )
            rows = session.execute(query).all()
            if not rows:
                break
            vectors = np.stack([np.frombuffer(e.vector, dtype=np.float32) for _, e in rows])
            fresh.upsert([p.pk for p, _ in rows], vectors, [attributes_of(p) for p, _ in rows])
            last = rows[-1][0].pk
            if on_progress:
                on_progress(len(rows))
