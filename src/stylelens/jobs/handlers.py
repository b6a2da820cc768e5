"""What each kind of job does: catalog syncs and webhook changes, shopper events sent on to the shop."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import httpx

from stylelens.catalog.feeds import FeedProduct, shopify_product
from stylelens.catalog.sync import sync_source
from stylelens.catalog.sync_report import SyncReport
from stylelens.events.intake import DELIVER_KIND
from stylelens.events.outbound import deliver_event
from stylelens.jobs.base import Job
from stylelens.jobs.worker import Handler

if TYPE_CHECKING:
    from stylelens.services import Services

log = logging.getLogger("stylelens.jobs")
SYNC_KIND = "catalog.sync"
UPSERT_KIND = "catalog.upsert"
DELETE_KIND = "catalog.delete"


def job_handlers(services: Services) -> dict[str, Handler]:
    """The handler of every job kind, bound to the long-lived services."""
    settings = services.settings
    client = httpx.Client(timeout=settings.integration.fetch_timeout_s)

    def sync(job: Job) -> None:
        p = job.payload
        report = sync_source(
            services.catalog_sync,
            str(p["source"]),
            fmt=p.get("format"),
            mapping=p.get("mapping"),
            shop_url=settings.catalog.shop_url,
            max_bytes=settings.integration.feed_max_bytes,
        )
        log.info("catalog synced", extra={"job_id": job.id, "summary": report.summary()})

    def upsert(job: Job) -> None:
        entry = shopify_product(job.payload["product"], settings.catalog.shop_url)
        report = SyncReport(f"webhook {job.payload.get('source', '')}")
        if isinstance(entry, FeedProduct):
            services.catalog_sync.apply([entry], report)
        else:
            log.warning("webhook product rejected", extra={"job_id": job.id, "reason": entry.reason})
        if report.image_failures:
            raise RuntimeError(f"image of {report.failures[0]['product_id']}: {report.failures[0]['error']}")

    def remove(job: Job) -> None:
        services.catalog_sync.remove([str(job.payload["product_id"])])

    def deliver(job: Job) -> None:
        i = settings.integration
        if i.events_forward_url:
            deliver_event(
                services.sessions, client, i.events_forward_url, i.events_forward_secret, job.payload["event_id"]
            )

    return {SYNC_KIND: sync, UPSERT_KIND: upsert, DELETE_KIND: remove, DELIVER_KIND: deliver}
