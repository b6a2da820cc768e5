"""Keeping the catalog's vectors and the serving embedder in step.

Each stored product embedding records the embedder that made it (`ProductEmbedding.model`, the embedder's
`identity`: the backbone, plus the projection head's checksum when one is active). Vectors of two embedders
are not comparable, so serving refuses a catalog embedded by another one and says how to fix it, and
`stylelens index rebuild` re-embeds those products from their stored image and mask before rebuilding.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from stylelens.errors import NotReady
from stylelens.storage.blobs import BlobStore
from stylelens.storage.models import Product, ProductEmbedding
from stylelens.vision.analysis import GarmentAnalyser

REBUILD_HINT = "run `stylelens index rebuild` (the demo catalog: `stylelens catalog demo`)"
BATCH = 32


def stale_models(sessions: sessionmaker[Session], identity: str) -> dict[str, int]:
    """How many stored product vectors each *other* embedder made (empty when all match `identity`)."""
    with sessions() as session:
        query = (
            select(ProductEmbedding.model, func.count())
            .where(ProductEmbedding.model != identity)
            .group_by(ProductEmbedding.model)
        )
        return {str(model): int(count) for model, count in session.execute(query)}


def check_embedder(sessions: sessionmaker[Session], identity: str) -> None:
    """NotReady, naming both embedders and the fix, when the catalog was embedded by another embedder."""
    stale = stale_models(sessions, identity)
    if stale:
        found = ", ".join(f"{count} by {model}" for model, count in sorted(stale.items()))
        raise NotReady(
            f"The catalog's vectors were made by another embedder ({found}) than the one serving now "
            f"({identity}); they cannot be compared: {REBUILD_HINT}."
        )


def index_dim_mismatch(index_dir: Path, dim: int) -> int | None:
    """The dimension of the HNSW index saved at `index_dir` when it is not `dim`, else None."""
    try:
        saved = int(json.loads((index_dir / "attributes.json").read_text())["dim"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return saved if saved != dim else None


def discard_mismatched_index(index_dir: Path, dim: int) -> bool:
    """Remove a saved HNSW index of another dimension (it is rebuilt from the database); True if removed."""
    if index_dim_mismatch(index_dir, dim) is None:
        return False
    shutil.rmtree(index_dir)
    return True


def reembed_stale(
    sessions: sessionmaker[Session],
    blobs: BlobStore,
    analyser: GarmentAnalyser,
    identity: str,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Re-embed, from their stored image and mask, the products another embedder embedded; returns how many."""
    done = 0
    while True:
        with sessions() as session, session.begin():
            query = (
                select(Product)
                .join(ProductEmbedding)
                .where(ProductEmbedding.model != identity)
                .order_by(Product.pk)
                .limit(BATCH)
                .options(selectinload(Product.embedding))
            )
            rows = list(session.scalars(query))
            if not rows:
                return done
            images = [Image.open(io.BytesIO(blobs.get(row.image_key))).convert("RGB") for row in rows]
            masks = [_mask(blobs, row.mask_key, image.size) for row, image in zip(rows, images, strict=True)]
            found = analyser.analyse_batch(images, masks, attributes=False)
            for row, garments in zip(rows, found, strict=True):
                vector = np.asarray(garments[0].embedding, dtype=np.float32)
                row.embedding = ProductEmbedding(model=identity, dim=vector.size, vector=vector.tobytes())
            done += len(rows)
        if on_progress:
            on_progress(len(rows))


def _mask(blobs: BlobStore, key: str | None, size: tuple[int, int]) -> np.ndarray | None:
    if not key or not blobs.exists(key):
        return None
    mask = np.asarray(Image.open(io.BytesIO(blobs.get(key))).convert("L")) > 127
    return mask if mask.shape == (size[1], size[0]) else None
