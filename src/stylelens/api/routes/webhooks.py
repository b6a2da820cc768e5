"""Catalog changes pushed by the shop: signed product webhooks, and sync requests from its systems.

`POST /v1/catalog/webhooks/{source}` checks the body's HMAC-SHA256 exactly as Shopify signs it (base64, header
X-Shopify-Hmac-Sha256) with the source's shared secret, refuses deliveries older than the tolerance, and queues
the change once per delivery id (X-Shopify-Webhook-Id): a redelivery is accepted and does nothing new.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from stylelens.api.deps import ServicesDep
from stylelens.api.routes.events import require_key
from stylelens.errors import InvalidInput, NotFound, NotSignedIn
from stylelens.jobs.handlers import DELETE_KIND, SYNC_KIND, UPSERT_KIND

router = APIRouter(tags=["integration"])
MAX_BODY = 5 * 1024 * 1024
TOPICS = {"products/create": UPSERT_KIND, "products/update": UPSERT_KIND, "products/delete": DELETE_KIND}


class Accepted(BaseModel):
    """The change is queued; `job_id` is the same for every delivery of one webhook."""

    job_id: str


class SyncRequest(BaseModel):
    source: str = Field(min_length=1, max_length=2000, description="Feed URL")
    format: str | None = Field(default=None, description="merchant-xml, merchant-tsv, shopify or csv")


@router.post("/catalog/webhooks/{source}", status_code=202, response_model=Accepted)
async def catalog_webhook(
    source: str,
    request: Request,
    services: ServicesDep,
    x_shopify_hmac_sha256: Annotated[str, Header()] = "",
    x_shopify_topic: Annotated[str, Header()] = "",
    x_shopify_webhook_id: Annotated[str, Header(max_length=200)] = "",
    x_shopify_triggered_at: Annotated[str, Header()] = "",
) -> Accepted:
    """A product was created, updated or deleted in the shop."""
    integration = services.settings.integration
    secret = integration.webhook_secrets.get(source)
    if not secret:
        raise NotFound(f"no webhook source {source!r} is configured")
    body = await request.body()
    if len(body) > MAX_BODY:
        raise InvalidInput(f"webhook body over {MAX_BODY} bytes")
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    if not hmac.compare_digest(expected, x_shopify_hmac_sha256):
        raise NotSignedIn("the webhook signature (X-Shopify-Hmac-Sha256) does not match")
    _check_age(x_shopify_triggered_at, integration.webhook_tolerance_s)
    if not x_shopify_webhook_id:
        raise InvalidInput("X-Shopify-Webhook-Id is missing")
    kind = TOPICS.get(x_shopify_topic)
    if kind is None:
        raise InvalidInput(f"topic {x_shopify_topic!r} is not one of {', '.join(TOPICS)}")
    try:
        product: Any = json.loads(body)
        product_id = str(product["id"])
    except (ValueError, KeyError, TypeError):
        raise InvalidInput("the body is not a product JSON object with an id") from None
    payload = {"source": source, "product": product} if kind == UPSERT_KIND else {"product_id": product_id}
    key = f"webhook:{source}:{x_shopify_webhook_id}"
    job_id = await run_in_threadpool(services.job_queue.enqueue, kind, payload, key=key)
    return Accepted(job_id=job_id)


@router.post("/catalog/syncs", status_code=202, response_model=Accepted)
async def request_sync(body: SyncRequest, request: Request, services: ServicesDep) -> Accepted:
    """Queue a full sync from a feed URL (needs an API key with catalog:write)."""
    await require_key(request, services, "catalog:write")
    if not body.source.startswith(("http://", "https://")):
        raise InvalidInput("source must be an http(s) feed URL")
    payload = {"source": body.source, "format": body.format}
    job_id = await run_in_threadpool(services.job_queue.enqueue, SYNC_KIND, payload)
    return Accepted(job_id=job_id)


def _check_age(triggered_at: str, tolerance_s: float) -> None:
    try:
        moment = datetime.fromisoformat(triggered_at.replace("Z", "+00:00"))
    except ValueError:
        raise NotSignedIn("X-Shopify-Triggered-At is missing or not an ISO 8601 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if abs((datetime.now(UTC) - moment).total_seconds()) > tolerance_s:
        raise NotSignedIn(f"the webhook is older than {tolerance_s:.0f} s (or from the future): refused as a replay")
