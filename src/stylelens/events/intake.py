"""Take in shopper events from the app and purchase confirmations from the shop, once each.

An event carries its own id (the app makes a UUID); sending it again is harmless. When the shop has a
webhook address configured, each new event is queued for delivery there (events/outbound.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from stylelens.errors import InvalidInput
from stylelens.jobs.base import JobQueue
from stylelens.storage.db import transaction
from stylelens.storage.integration_models import ShopperEvent
from stylelens.storage.models import utcnow

EVENT_TYPES: Final = ("search", "view", "like", "dislike", "save", "add_to_cart", "purchase")
NEEDS_PRODUCT: Final = frozenset({"view", "like", "dislike", "save", "add_to_cart", "purchase"})
DELIVER_KIND: Final = "events.deliver"


@dataclass(frozen=True)
class EventInput:
    """One shopper event as received."""

    type: str
    event_id: str = ""
    product_id: str = ""
    shopper_ref: str = ""  # a pseudonymous id, never an e-mail
    session_id: str = ""
    details: dict[str, Any] = field(default_factory=dict)  # query, quantity, value, currency, order_id...
    occurred_at: datetime | None = None


def check_event(event: EventInput) -> None:
    """Refuse events that cannot be right; InvalidInput says why."""
    if event.type not in EVENT_TYPES:
        raise InvalidInput(f"unknown event type {event.type!r}; one of {', '.join(EVENT_TYPES)}")
    if event.type in NEEDS_PRODUCT and not event.product_id:
        raise InvalidInput(f"a {event.type} event needs a product_id")
    if event.type == "purchase" and not event.details.get("order_id"):
        raise InvalidInput("a purchase event needs details.order_id")


def record_event(
    sessions: sessionmaker[Session], event: EventInput, *, source: str, queue: JobQueue | None = None
) -> tuple[str, bool]:
    """Store an event once and queue it for the shop; returns (event id, whether it was new)."""
    check_event(event)
    event_id = event.event_id or str(uuid.uuid4())
    row = ShopperEvent(
        event_id=event_id,
        type=event.type,
        product_id=event.product_id,
        shopper_ref=event.shopper_ref,
        session_id=event.session_id,
        details=event.details,
        source=source,
        occurred_at=event.occurred_at or utcnow(),
    )
    try:
        with transaction(sessions) as session:
            session.add(row)
    except IntegrityError:
        with sessions() as session:
            if session.scalar(select(ShopperEvent.pk).where(ShopperEvent.event_id == event_id)) is None:
                raise
        return event_id, False
    if queue is not None:
        queue.enqueue(DELIVER_KIND, {"event_id": event_id}, key=f"deliver:{event_id}")
    return event_id, True


def event_body(sessions: sessionmaker[Session], event_id: str) -> dict[str, Any] | None:
    """The JSON sent to the shop for one stored event."""
    with sessions() as session:
        row = session.scalar(select(ShopperEvent).where(ShopperEvent.event_id == event_id))
    if row is None:
        return None
    return {
        "id": row.event_id,
        "type": row.type,
        "product_id": row.product_id,
        "shopper_ref": row.shopper_ref,
        "session_id": row.session_id,
        "details": row.details,
        "source": row.source,
        "occurred_at": row.occurred_at.isoformat(),
    }
