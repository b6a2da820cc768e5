"""Tables of recommendations: what each shopper told us about their taste, and when they last reset it.

The taste profile itself is not stored: it is computed from the shopper's events (kept only under the
personalisation consent) each time it is needed. Plain types only: SQLite and PostgreSQL. Migration 0004.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from stylelens.storage.models import Base, utcnow


class TasteSettings(Base):
    """A shopper's own edits to their taste (sizes, price ceiling, colours, kinds, brands to show or hide)."""

    __tablename__ = "taste_settings"

    shopper_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    edits: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reset_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)  # events before: ignored
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
