"""Shopper events in: from the app (search, view, like, dislike, save, add_to_cart), and purchases from the shop.

Purchases need an API key with `events:write` (header X-API-Key). The app's interaction events need the shopper's
session (Authorization: Bearer): they are recorded in that shopper's name only, and only under the
personalisation or analytics consent; without either they are acknowledged and dropped.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, field_validator

from stylelens.api.deps import ServicesDep
from stylelens.auth.api_keys import KeyInfo, authenticate
from stylelens.errors import Forbidden, NotSignedIn
from stylelens.events.intake import EventInput, record_event
from stylelens.services import Services

router = APIRouter(tags=["integration"])
Ident = Annotated[str, Field(max_length=64, pattern=r"^[A-Za-z0-9._:-]*$")]


class EventIn(BaseModel):
    """One shopper event; send the same event_id again and it is counted once."""

    type: Literal["search", "view", "like", "dislike", "save", "add_to_cart", "purchase"]
    event_id: Ident = ""
    product_id: Ident = ""
    shopper_ref: Ident = ""
    session_id: Ident = ""
    details: dict[str, Any] = Field(default_factory=dict, description="query, quantity, value, currency, order_id")
    occurred_at: datetime | None = None

    @field_validator("details")
    @classmethod
    def _small(cls, details: dict[str, Any]) -> dict[str, Any]:
        if len(json.dumps(details)) > 4096:
            raise ValueError("details must stay under 4 KB of JSON")
        return details


class EventAccepted(BaseModel):
    event_id: str
    duplicate: bool
    recorded: bool = True


async def require_key(request: Request, services: Services, scope: str) -> KeyInfo:
    """The caller's API key (X-API-Key) with `scope`; 401 without a valid key, 403 without the scope."""
    token = request.headers.get("x-api-key", "")
    if not token:
        raise NotSignedIn(f"this call needs an API key with {scope} in the X-API-Key header")
    return await run_in_threadpool(authenticate, services.sessions, token, scope)


@router.post("/events", status_code=202, response_model=EventAccepted)
async def post_event(body: EventIn, request: Request, services: ServicesDep) -> EventAccepted:
    """Record a shopper event and forward it to the shop's systems."""
    system = request.headers.get("x-api-key") or body.type == "purchase"
    shopper_ref = body.shopper_ref
    if system:
        await require_key(request, services, "events:write")
    else:
        signed_in: str | None = await run_in_threadpool(_app_shopper, request, services, body.shopper_ref)
        if signed_in is None:
            return EventAccepted(event_id=body.event_id, duplicate=False, recorded=False)
        shopper_ref = signed_in
    event = EventInput(
        type=body.type,
        event_id=body.event_id,
        product_id=body.product_id,
        shopper_ref=shopper_ref,
        session_id=body.session_id,
        details=body.details,
        occurred_at=body.occurred_at,
    )
    queue = services.job_queue if services.settings.integration.events_forward_url else None
    source = "shop" if system else "app"
    event_id, new = await run_in_threadpool(lambda: record_event(services.sessions, event, source=source, queue=queue))
    return EventAccepted(event_id=event_id, duplicate=not new)


def _app_shopper(request: Request, services: Services, claimed: str) -> str | None:
    """The signed-in shopper's id if they consented to personalisation or analytics, else None (not recorded)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise NotSignedIn("app events need the shopper's session: send 'Authorization: Bearer <token>'")
    shopper = services.accounts.shopper_for(token)
    if claimed and claimed != shopper.id:
        raise Forbidden("an event can only be recorded for the signed-in shopper")
    consent = services.privacy.consent
    with services.sessions() as session:
        allowed = any(consent.allows(session, shopper.id, p) for p in ("personalisation", "analytics"))
    return shopper.id if allowed else None
