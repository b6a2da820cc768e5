"""Put products into the catalog: store their images, analyse them, save them, index them."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice

import numpy as np
import numpy.typing as npt
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from stylelens.catalog.products import ProductInput
from stylelens.index.base import ItemAttributes, VectorIndex
from stylelens.storage.blobs import BlobStore
from stylelens.storage.db import transaction
from stylelens.storage.models import Product, ProductEmbedding
from stylelens.vision.analysis import GarmentAnalyser
from stylelens.vision.colors import ColorShare, garment_colors
from stylelens.vision.decode import encode_jpeg
from stylelens.vision.foreground import garment_mask

Mask = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class CatalogItem:
    """A product with its main image and, when the source knows it, the exact garment mask."""

    product: ProductInput
    image: Image.Image
    mask: Mask | None = None
    prepared: PreparedImage | None = None  # the stored encodings, made beforehand (see prepare_image)


@dataclass(frozen=True)
class PreparedImage:
    """What ingestion makes of an image besides the model run, made ahead (in a fetching thread, say).

    The mask is the one the analyser would find itself, so the results are the same either way.
    """

    jpeg: bytes
    mask: Mask
    mask_png: bytes
    colors: list[ColorShare] | None  # None: not worked out (the shop names the product's colours)


def prepare_image(image: Image.Image, *, colors: bool = True) -> PreparedImage:
    """The JPEG for the blob store, the garment mask, its PNG and (unless `colors` is False: the shop gave them)
    the colours of a packshot without a known mask."""
    rgb = np.asarray(image.convert("RGB"))
    mask = garment_mask(rgb)
    return PreparedImage(
        encode_jpeg(image, quality=92), mask, encode_mask_png(mask), garment_colors(rgb, mask) if colors else None
    )


@dataclass
class IngestReport:
    """What an ingestion did, product by product."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def processed(self) -> int:
        return self.added + self.updated + self.unchanged


def attributes_of(product: Product) -> ItemAttributes:
    """What the index filters on, read from a catalog row."""
    return ItemAttributes(product.category, float(product.price), product.in_stock, tuple(product.colors))


class CatalogIngestor:
    """Adds or updates products in the database, the blob store and the vector index together."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        blobs: BlobStore,
        index: VectorIndex,
        analyser: GarmentAnalyser,
        *,
        model_name: str,
        batch_size: int = 32,
    ) -> None:
        self.sessions = sessions
        self.blobs = blobs
        self.index = index
        self.analyser = analyser
        self.model_name = model_name
        self.batch_size = batch_size
        # Blob writes (file system or network calls) go on while the rows are flushed; all end before the commit.
        self._writer = ThreadPoolExecutor(2, thread_name_prefix="blob-write")

    def ingest(self, items: Iterable[CatalogItem], on_progress: Callable[[int], None] | None = None) -> IngestReport:
        """Ingest products in batches; the index is saved once at the end."""
        report = IngestReport()
        for batch in _batches(iter(items), self.batch_size):
            self._ingest_batch(batch, report)
            if on_progress:
                on_progress(len(batch))
        self.index.save()
        return report

    def ingest_batch(self, batch: list[CatalogItem], report: IngestReport) -> list[Product]:
        """Ingest one batch without saving the index (a sync saves it itself); returns the rows written."""
        return self._ingest_batch(batch, report)

    def _ingest_batch(self, batch: list[CatalogItem], report: IngestReport) -> list[Product]:
        jpegs = [item.prepared.jpeg if item.prepared else encode_jpeg(item.image, quality=92) for item in batch]
        hashes = [
            item.product.content_hash(hashlib.sha256(j).hexdigest()) for item, j in zip(batch, jpegs, strict=True)
        ]
        with transaction(self.sessions) as session:
            ids = [item.product.product_id for item in batch]
            query = select(Product).where(Product.product_id.in_(ids)).options(selectinload(Product.embedding))
            existing = {p.product_id: p for p in session.scalars(query)}
            todo = [
                i for i, item in enumerate(batch)
                if _needs_work(existing.get(item.product.product_id), hashes[i], self.model_name)
            ]  # fmt: skip
            report.unchanged += len(batch) - len(todo)
            if not todo:
                return []
            # Only the mask, colours and embedding are kept: the shop gives the category and pattern.
            analyses = self.analyser.analyse_batch(
                [batch[i].image for i in todo],
                [_known_mask(batch[i]) for i in todo],
                attributes=False,
                colors=[_known_colors(batch[i]) for i in todo],
            )
            rows: list[Product] = []
            writes: list[tuple[str, bytes, str]] = []
            for i, garments in zip(todo, analyses, strict=True):
                item, garment = batch[i], garments[0]
                row = existing.get(item.product.product_id)
                report.updated += row is not None
                report.added += row is None
                row = self._save(session, row, item, jpegs[i], hashes[i], garment.mask, writes)
                colors = list(item.product.colors) or [c.name for c in garment.colors]
                row.colors = colors
                vector = np.asarray(garment.embedding, dtype=np.float32)
                row.embedding = ProductEmbedding(model=self.model_name, dim=vector.size, vector=vector.tobytes())
                rows.append(row)
            written = [self._writer.submit(self.blobs.put, *write) for write in writes]
            session.flush()
            for future in written:
                future.result()
            vectors = np.stack([np.frombuffer(r.embedding.vector, dtype=np.float32) for r in rows])  # type: ignore[union-attr]
            self.index.upsert([r.pk for r in rows], vectors, [attributes_of(r) for r in rows])
        return rows

    def _save(
        self,
        session: Session,
        row: Product | None,
        item: CatalogItem,
        jpeg: bytes,
        content_hash: str,
        mask: Mask,
        writes: list[tuple[str, bytes, str]],
    ) -> Product:
        p = item.product
        image_key, mask_key = f"products/{p.product_id}.jpg", f"masks/{p.product_id}.png"
        png = (
            item.prepared.mask_png
            if item.prepared is not None and item.prepared.mask is mask
            else encode_mask_png(mask)
        )
        writes += [(image_key, jpeg, "image/jpeg"), (mask_key, png, "image/png")]
        if row is None:
            row = Product(product_id=p.product_id)
            session.add(row)
        row.title_en, row.title_fr = p.title_en, p.title_fr
        row.description_en, row.description_fr = p.description_en, p.description_fr
        row.brand, row.category, row.pattern = p.brand, p.category, p.pattern
        row.price, row.currency = Decimal(str(round(p.price, 2))), p.currency
        row.sizes, row.stock = list(p.sizes), dict(p.stock)
        row.image_key, row.mask_key, row.product_url = image_key, mask_key, p.product_url
        row.content_hash = content_hash
        return row


def _needs_work(row: Product | None, content_hash: str, model: str) -> bool:
    # A vector made by another embedder (a new head was activated) is not comparable: embed again.
    return row is None or row.content_hash != content_hash or row.embedding is None or row.embedding.model != model


def _known_mask(item: CatalogItem) -> Mask | None:
    if item.mask is not None:
        return item.mask
    return item.prepared.mask if item.prepared is not None else None


def _known_colors(item: CatalogItem) -> list[ColorShare] | None:
    """None where the analysis must work the colours out: the product's colours are the shop's when it names
    them (none to compute), else those worked out ahead, when they are those of the mask the analysis uses."""
    if item.product.colors:
        return []
    return item.prepared.colors if item.prepared is not None and item.mask is None else None


def encode_mask_png(mask: Mask) -> bytes:
    """A garment mask as the blob store keeps it: a 1-bit PNG, white on the garment (read as 0/255 in "L").

    One bit a pixel: less to compress than 8 bits, so faster and fewer bytes (benchmarks/mask_png.py compares
    the two); any PNG reader shows the same black and white picture.
    """
    buffer = io.BytesIO()
    # optimize=True would try every zlib setting for a few bytes less; the pixels are the same either way.
    Image.fromarray(np.ascontiguousarray(mask, dtype=bool)).save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def _batches(items: Iterator[CatalogItem], size: int) -> Iterator[list[CatalogItem]]:
    while batch := list(islice(items, size)):
        yield batch
