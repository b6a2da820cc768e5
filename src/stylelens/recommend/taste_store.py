"""Where taste comes from: the shopper's logged events and their own edits, reset when they ask."""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from stylelens.recommend.taste import EVENT_KINDS, ShopperEvent, TasteEdits
from stylelens.storage.db import transaction
from stylelens.storage.integration_models import ShopperEvent as EventRow
from stylelens.storage.models import Product
from stylelens.storage.taste_models import TasteSettings


class EventSource(Protocol):
    def events_for(self, shopper_id: str, since: datetime | None) -> list[ShopperEvent]: ...


class StoredEvents:
    """The shopper's events from the shop's event log (`shopper_events`), matched to catalog items."""

    def __init__(self, sessions: sessionmaker[Session], limit: int = 2000) -> None:
        self.sessions = sessions
        self.limit = limit

    def events_for(self, shopper_id: str, since: datetime | None) -> list[ShopperEvent]:
        query = (
            select(Product.pk, EventRow.type, EventRow.occurred_at)
            .join(Product, Product.product_id == EventRow.product_id)
            .where(EventRow.shopper_ref == shopper_id, EventRow.type.in_(EVENT_KINDS))
            .order_by(EventRow.occurred_at.desc())
            .limit(self.limit)
        )
        if since is not None:
            query = query.where(EventRow.occurred_at >= since)
        with self.sessions() as session:
            return [ShopperEvent(pk, kind, at) for pk, kind, at in session.execute(query)]


POSITIVE_KINDS = ("like", "save", "add_to_cart", "purchase")


class CoLikes:
    """Items liked, saved, put in the basket or bought by the same shoppers as a given item (complete the look)."""

    def __init__(self, sessions: sessionmaker[Session], limit: int = 200) -> None:
        self.sessions = sessions
        self.limit = limit

    def of(self, product_id: str) -> dict[str, int]:
        """Other product ids and how many shoppers interacted positively with both (at least two shoppers)."""
        fans = (
            select(EventRow.shopper_ref)
            .where(EventRow.product_id == product_id, EventRow.type.in_(POSITIVE_KINDS), EventRow.shopper_ref != "")
            .distinct()
        )
        together = func.count(func.distinct(EventRow.shopper_ref))
        query = (
            select(EventRow.product_id, together)
            .where(EventRow.shopper_ref.in_(fans), EventRow.type.in_(POSITIVE_KINDS), EventRow.product_id != product_id)
            .group_by(EventRow.product_id)
            .having(together >= 2)
            .order_by(together.desc())
            .limit(self.limit)
        )
        with self.sessions() as session:
            return {pid: int(n) for pid, n in session.execute(query)}


def logged_events(sessions: sessionmaker[Session], limit: int = 500_000) -> dict[str, list[ShopperEvent]]:
    """Every shopper's logged events on catalog items, oldest first (offline evaluation on real behaviour)."""
    query = (
        select(EventRow.shopper_ref, Product.pk, EventRow.type, EventRow.occurred_at)
        .join(Product, Product.product_id == EventRow.product_id)
        .where(EventRow.shopper_ref != "", EventRow.type.in_(EVENT_KINDS))
        .order_by(EventRow.occurred_at, EventRow.pk)
        .limit(limit)
    )
    out: dict[str, list[ShopperEvent]] = {}
    with sessions() as session:
        for shopper, pk, kind, at in session.execute(query):
            out.setdefault(shopper, []).append(ShopperEvent(pk, kind, at))
    return out


class TasteStore:
    """A shopper's edits and reset time."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def load(self, shopper_id: str) -> tuple[TasteEdits, datetime | None]:
        with self.sessions() as session:
            row = session.get(TasteSettings, shopper_id)
            return (edits_from(row.edits), row.reset_at) if row else (TasteEdits(), None)

    def save_edits(self, shopper_id: str, edits: TasteEdits) -> None:
        with transaction(self.sessions) as session:
            row = session.get(TasteSettings, shopper_id) or TasteSettings(shopper_id=shopper_id)
            row.edits = asdict(edits)
            session.add(row)

    def reset(self, shopper_id: str) -> None:
        """Forget what was learnt and what was said: events before now no longer count."""
        with transaction(self.sessions) as session:
            row = session.get(TasteSettings, shopper_id) or TasteSettings(shopper_id=shopper_id)
            row.edits = {}
            row.reset_at = datetime.now(UTC)
            session.add(row)

    def erase(self, shopper_id: str) -> int:
        with transaction(self.sessions) as session:
            row = session.get(TasteSettings, shopper_id)
            if row is None:
                return 0
            session.delete(row)
            return 1


def edits_from(data: dict[str, Any]) -> TasteEdits:
    known = {f.name for f in fields(TasteEdits)}
    values = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in known}
    return TasteEdits(**values)  # type: ignore[arg-type]
