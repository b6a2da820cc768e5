"""Send shopper events to the shop as signed webhooks; the job queue retries and dead-letters them.

Signature (as Stripe does it): `X-StyleLens-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`,
with the shared secret; the shop checks it, the timestamp's age, and deduplicates on `X-StyleLens-Delivery`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx
from sqlalchemy.orm import Session, sessionmaker

from stylelens.events.intake import event_body


class DeliveryFailed(Exception):
    """The shop did not accept the webhook (it will be retried, then dead-lettered)."""


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, *, tolerance_s: float = 300.0, now: float | None = None) -> bool:
    """What the shop does on receipt (and what our tests do): a valid, recent signature."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now or time.time()) - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), f"t={timestamp},v1={parts.get('v1', '')}")


def deliver_event(sessions: sessionmaker[Session], client: httpx.Client, url: str, secret: str, event_id: str) -> None:
    """POST one event to the shop; DeliveryFailed unless it answers 2xx."""
    body = event_body(sessions, event_id)
    if body is None:
        return  # erased since (privacy): nothing to send
    raw = json.dumps(body, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "X-StyleLens-Signature": signature(secret, int(time.time()), raw),
        "X-StyleLens-Delivery": event_id,
        "X-StyleLens-Event": str(body["type"]),
    }
    try:
        response = client.post(url, content=raw, headers=headers)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from None
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"the shop answered HTTP {response.status_code}")
