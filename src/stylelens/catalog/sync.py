"""Keep the catalog equal to the shop's feed: add, update and delete products, fetching only changed images.

Each product's feed content is hashed; an unchanged product costs one database read, a product whose text,
price or stock changed is updated without touching its image, and only a new image URL (with new bytes) is
fetched and embedded again. Products the feed no longer lists are deleted, unless the feed could not be read
to its end. A sync is safe to run again after a crash: every step is idempotent, and the index is reconciled
with the database at the end.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from stylelens.catalog.colour_names import shop_words
from stylelens.catalog.feed_rows import add_variants, copy_fields, products_by_id, replace_variants, with_shop_colours
from stylelens.catalog.feeds import FeedEntry, FeedError, FeedProduct, Rejection, feed_batches
from stylelens.catalog.fetch import FetchResult, ImageFetcher
from stylelens.catalog.ingest import (
    CatalogIngestor,
    CatalogItem,
    IngestReport,
    PreparedImage,
    attributes_of,
    prepare_image,
)
from stylelens.catalog.sync_preview import preview
from stylelens.catalog.sync_report import SyncReport
from stylelens.storage.db import transaction
from stylelens.storage.integration_models import CatalogListing, ProductVariant, SyncRun
from stylelens.storage.models import Product, ProductEmbedding, utcnow

BATCH = 64
PREFETCH = 2  # batches whose images are being fetched while an earlier one is analysed


@dataclass
class _Pending:
    """A batch whose images are being fetched while the previous one is analysed."""

    products: list[FeedProduct]
    fetches: Iterator[FetchResult]


class CatalogSync:
    """Applies feeds and webhook changes to the catalog, its images and the vector index."""

    def __init__(
        self,
        ingestor: CatalogIngestor,
        fetcher: ImageFetcher,
        *,
        source: str = "shop",
        colour_words: Mapping[str, str] | None = None,
    ) -> None:
        self.ingestor, self.fetcher, self.source = ingestor, fetcher, source
        self.sessions, self.index = ingestor.sessions, ingestor.index
        self.colour_words = shop_words(colour_words or {})  # the shop's own, beyond the built-in table

    def run(
        self,
        entries: Iterable[FeedEntry],
        *,
        name: str,
        dry_run: bool = False,
        on_progress: Callable[[int], None] | None = None,
    ) -> SyncReport:
        """Apply a whole feed; products it does not list are deleted (not after a feed error)."""
        started = time.perf_counter()
        report = SyncReport(name, dry_run=dry_run)
        if dry_run:
            return preview(self.sessions, self.source, entries, report, started)
        with transaction(self.sessions) as session:
            run = SyncRun(source=name[:2000])
            session.add(run)
            session.flush()
            report.run_id = run.id
        self._apply_feed(entries, report, on_progress)
        if not report.feed_error and report.seen == 0:
            report.feed_error = "the feed lists no valid product: nothing deleted (an empty export is a mistake)"
        if not report.feed_error:
            report.deleted = self._delete_unseen(report.run_id)
        self.reconcile_index()
        report.seconds = round(time.perf_counter() - started, 3)
        with transaction(self.sessions) as session:
            row = session.get(SyncRun, report.run_id)
            assert row is not None
            row.status, row.finished_at, row.report = (
                "failed" if report.feed_error else "done",
                utcnow(),
                report.as_dict(),
            )
        return report

    def _apply_feed(
        self, entries: Iterable[FeedEntry], report: SyncReport, on_progress: Callable[[int], None] | None
    ) -> None:
        """Classify batch after batch while the images of the next ones are fetched (PREFETCH batches ahead)."""
        pending: deque[_Pending] = deque()
        try:
            for batch in feed_batches(self._products(entries, report), BATCH):
                fresh = self._classify(batch, report)
                # The fetching threads also encode the images and find their masks (and their colours, unless the
                # shop names them) while this one runs the model.
                prepares = [partial(prepare_image, colors=not p.product.colors) for p in fresh]
                fetches = self.fetcher.fetch_stream([p.image_urls[0] for p in fresh], prepares)
                pending.append(_Pending(fresh, fetches))
                if len(pending) > PREFETCH:
                    self._ingest(pending.popleft(), report)
                if on_progress:
                    on_progress(len(batch))
        except FeedError as exc:
            report.feed_error = exc.detail
        while pending:
            self._ingest(pending.popleft(), report)

    def apply(self, products: list[FeedProduct], report: SyncReport) -> None:
        """Add or update a few products now (a webhook); nothing is deleted."""
        fresh = self._classify(products, report)
        self._ingest(_Pending(fresh, iter(self.fetcher.fetch_many([p.image_urls[0] for p in fresh]))), report)
        self.index.save()

    def remove(self, product_ids: list[str]) -> int:
        """Delete products by the shop's ids (a webhook); returns how many were there."""
        with transaction(self.sessions) as session:
            count = self._delete(session, product_ids)
        self.index.save()
        return count

    def _products(self, entries: Iterable[FeedEntry], report: SyncReport) -> Iterator[FeedProduct]:
        for entry in entries:
            if isinstance(entry, Rejection):
                report.reject(entry)
                self._keep_previous(entry.product_id, report.run_id)
                continue
            report.seen += 1
            yield entry

    def _keep_previous(self, product_id: str, run_id: int) -> None:
        """A rejected item keeps its last good version in the catalog rather than disappearing."""
        with transaction(self.sessions) as session:
            listing = session.get(CatalogListing, product_id)
            if listing is not None and listing.source == self.source:
                listing.seen_run = run_id

    def _classify(self, batch: list[FeedProduct], report: SyncReport) -> list[FeedProduct]:
        """Mark the batch seen; update details in place; return the products whose image must be fetched."""
        batch = [self._named_colours(p, report) for p in batch]
        todo: list[FeedProduct] = []
        with transaction(self.sessions) as session:
            ids = [p.product_id for p in batch]
            listings = {
                x.product_id: x
                for x in session.scalars(select(CatalogListing).where(CatalogListing.product_id.in_(ids)))
            }
            rows = products_by_id(session, ids)
            seen_here: set[str] = set()
            for p in batch:
                listing, row = listings.get(p.product_id), rows.get(p.product_id)
                if p.product_id in seen_here or (listing and report.run_id and listing.seen_run == report.run_id):
                    report.reject(Rejection(p.position, p.product_id, "the feed lists this product id twice"))
                    continue
                seen_here.add(p.product_id)
                if listing is None:
                    listing = CatalogListing(product_id=p.product_id, source=self.source, feed_hash="", extra={})
                    session.add(listing)
                listing.seen_run = report.run_id or listing.seen_run
                indexed = row is not None and row.embedding is not None
                if indexed and listing.feed_hash == p.feed_hash() and not listing.error:
                    report.unchanged += 1
                elif indexed and listing.image_digest and listing.image_url == p.image_urls[0]:
                    self._update_details(session, row, listing, p)  # type: ignore[arg-type]
                    report.updated_details += 1
                else:
                    todo.append(p)
        return todo

    def _named_colours(self, p: FeedProduct, report: SyncReport) -> FeedProduct:
        """The product with its colours read with the shop's own words too; unknown words go in the report."""
        named, unknown = with_shop_colours(p, self.colour_words)
        report.unknown_colour(unknown)
        return named

    def _update_details(self, session: Session, row: Product, listing: CatalogListing, p: FeedProduct) -> None:
        copy_fields(row, p)
        replace_variants(session, row, p)
        listing.feed_hash, listing.extra, listing.error, listing.source = p.feed_hash(), p.extra, "", self.source
        self.index.set_attributes(row.pk, attributes_of(row))

    def _ingest(self, pending: _Pending, report: SyncReport) -> None:
        """Embed the batch's new images, then record hashes, variants and listings (after the rows exist)."""
        fetched = list(pending.fetches)
        items, ok = [], []
        for p, result in zip(pending.products, fetched, strict=True):
            if result.ok:
                prepared = result.prepared if isinstance(result.prepared, PreparedImage) else None
                items.append(CatalogItem(p.product, result.image, prepared=prepared))  # type: ignore[arg-type]
                ok.append((p, result))
            else:
                report.fail(p.product_id, result.url, result.error)
                self._record_failure(p, result)
        if not items:
            return
        ingested = IngestReport()
        self.ingestor.ingest_batch(items, ingested)
        # Every product of the batch existed before unless the ingestor added it (unchanged ones existed too).
        report.added += ingested.added
        report.updated_images += ingested.updated + ingested.unchanged
        with transaction(self.sessions) as session, session.no_autoflush:
            # No flush per product: the variants, listings and rows of the batch are written in a few statements.
            ids = [p.product_id for p, _ in ok]
            rows = products_by_id(session, ids)
            query = select(CatalogListing).where(CatalogListing.product_id.in_(ids))
            listings = {x.product_id: x for x in session.scalars(query)}
            session.execute(delete(ProductVariant).where(ProductVariant.product_pk.in_([r.pk for r in rows.values()])))
            for p, result in ok:
                row, feed_hash = rows[p.product_id], p.feed_hash()
                copy_fields(row, p, feed_hash)
                add_variants(session, row, p)
                listing = listings.get(p.product_id)
                if listing is None:
                    listing = CatalogListing(product_id=p.product_id)
                    session.add(listing)
                listing.source, listing.feed_hash, listing.extra, listing.error = self.source, feed_hash, p.extra, ""
                listing.image_url, listing.image_digest = p.image_urls[0], result.digest
                listing.seen_run = report.run_id or listing.seen_run or 0

    def _record_failure(self, p: FeedProduct, result: FetchResult) -> None:
        with transaction(self.sessions) as session:
            listing = session.get(CatalogListing, p.product_id)
            if listing is not None:
                listing.error = result.error[:2000]  # the hash stays old: the next sync tries again

    def _delete_unseen(self, run_id: int) -> int:
        deleted = 0
        while True:
            with transaction(self.sessions) as session:
                query = select(CatalogListing.product_id).where(
                    CatalogListing.source == self.source, CatalogListing.seen_run != run_id
                )
                ids = list(session.scalars(query.limit(500)))
                if not ids:
                    return deleted
                deleted += self._delete(session, ids)

    def _delete(self, session: Session, ids: list[str]) -> int:
        rows = list(session.scalars(select(Product).where(Product.product_id.in_(ids))))
        self.index.delete([r.pk for r in rows])
        for row in rows:
            for key in (row.image_key, row.mask_key):
                if key:
                    self.ingestor.blobs.delete(key)
            session.delete(row)
        session.execute(delete(CatalogListing).where(CatalogListing.product_id.in_(ids)))
        return len(rows)

    def reconcile_index(self) -> None:
        """Make the index hold exactly the products with embeddings (after a crash, or a sync)."""
        with self.sessions() as session:
            stored = set(session.scalars(select(ProductEmbedding.product_pk)))
            indexed = self.index.labels()
            self.index.delete(sorted(indexed - stored))
            missing = sorted(stored - indexed)
            for start in range(0, len(missing), 1000):
                chunk = missing[start : start + 1000]
                pairs = session.execute(
                    select(Product, ProductEmbedding).join(ProductEmbedding).where(Product.pk.in_(chunk))
                ).all()
                vectors = np.stack([np.frombuffer(e.vector, dtype=np.float32) for _, e in pairs])
                self.index.upsert([p.pk for p, _ in pairs], vectors, [attributes_of(p) for p, _ in pairs])
        self.index.save()


def sync_source(
    sync: CatalogSync,
    source: str,
    *,
    fmt: str | None = None,
    mapping: str | None = None,
    shop_url: str,
    max_bytes: int,
    dry_run: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> SyncReport:
    """Sync the catalog from a feed URL or file (format guessed unless given)."""
    from stylelens.catalog.feeds import ColumnMapping, detect_format, read_feed
    from stylelens.catalog.feeds.source import open_feed

    columns = ColumnMapping.load(Path(mapping)) if mapping else None
    with open_feed(source, max_bytes=max_bytes) as handle:
        head = handle.read(4096)
        handle.seek(0)
        chosen = fmt or detect_format(source, head)
        entries = read_feed(handle, chosen, shop_url=shop_url, mapping=columns)
        return sync.run(entries, name=source, dry_run=dry_run, on_progress=on_progress)
