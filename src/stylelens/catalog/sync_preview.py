"""What a sync would change (`stylelens catalog sync --dry-run`): the diff of a feed against the catalog,
without fetching or writing anything."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from stylelens.catalog.feeds import FeedEntry, FeedError, FeedProduct, Rejection, feed_batches
from stylelens.catalog.sync_report import SyncReport
from stylelens.storage.integration_models import CatalogListing


def preview(
    sessions: sessionmaker[Session], source: str, entries: Iterable[FeedEntry], report: SyncReport, started: float
) -> SyncReport:
    """What a sync would change, without fetching or writing anything (holds the feed's ids in memory)."""
    seen: set[str] = set()
    try:
        for batch in feed_batches(_valid(entries, report), 500):
            with sessions() as session:
                ids = [p.product_id for p in batch]
                query = select(CatalogListing).where(CatalogListing.product_id.in_(ids))
                listings = {x.product_id: x for x in session.scalars(query)}
            for p in batch:
                seen.add(p.product_id)
                listing = listings.get(p.product_id)
                if listing is None or not listing.feed_hash:
                    report.added += 1
                    report.diff.append(f"+ {p.product_id}  {p.product.title_en}")
                elif listing.feed_hash != p.feed_hash():
                    image = listing.image_url != p.image_urls[0]
                    report.updated_images += image
                    report.updated_details += not image
                    report.diff.append(f"~ {p.product_id}  {'new image' if image else 'details'}")
                else:
                    report.unchanged += 1
    except FeedError as exc:
        report.feed_error = exc.detail
    if not report.feed_error and report.seen == 0:
        report.feed_error = "the feed lists no valid product: nothing would be deleted"
    if not report.feed_error:
        with sessions() as session:
            listed = select(CatalogListing.product_id).where(CatalogListing.source == source)
            for product_id in session.scalars(listed):
                if product_id not in seen:
                    report.deleted += 1
                    report.diff.append(f"- {product_id}")
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _valid(entries: Iterable[FeedEntry], report: SyncReport) -> Iterator[FeedProduct]:
    for entry in entries:
        if isinstance(entry, Rejection):
            report.reject(entry)
        else:
            report.seen += 1
            yield entry
