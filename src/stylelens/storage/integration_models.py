"""Tables of the shop integration: variants, sync state, the job queue, shopper events, webhooks, API keys.

Everything here works on SQLite and PostgreSQL (plain types, JSON, no dialect features); migration 0002.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from stylelens.storage.models import Base, utcnow


class ProductVariant(Base):
    """One buyable variant of a product (a size, a colour): its SKU, GTIN, price and stock."""

    __tablename__ = "product_variants"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    product_pk: Mapped[int] = mapped_column(ForeignKey("products.pk", ondelete="CASCADE"), index=True)
    variant_id: Mapped[str] = mapped_column(String(64))
    sku: Mapped[str] = mapped_column(String(64), default="")
    gtin: Mapped[str] = mapped_column(String(14), default="")
    size: Mapped[str] = mapped_column(String(40), default="")
    color: Mapped[str] = mapped_column(String(60), default="")
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    sale_price: Mapped[Decimal | None] = mapped_column(Numeric(10, 2), nullable=True)
    stock: Mapped[int] = mapped_column(Integer, default=0)


class CatalogListing(Base):
    """What the last syncs saw of one feed product: its content hash, image, and why it failed if it did.

    Keyed by the shop's product id, not the catalog row, so a product whose image failed is retried next time.
    """

    __tablename__ = "catalog_listings"

    product_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(40), default="feed", index=True)
    feed_hash: Mapped[str] = mapped_column(String(64), default="")
    image_url: Mapped[str] = mapped_column(String(2000), default="")
    image_digest: Mapped[str] = mapped_column(String(64), default="")
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    seen_run: Mapped[int] = mapped_column(Integer, default=0, index=True)
    error: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class SyncRun(Base):
    """One catalog sync: when, from where, and its report."""

    __tablename__ = "sync_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(20), default="running")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class JobRow(Base):
    """A durable job: queued, then leased by one worker at a time, then done (or dead after too many tries)."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_claim", "status", "available_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    lease_owner: Mapped[str] = mapped_column(String(120), default="")
    lease_token: Mapped[str] = mapped_column(String(36), default="")
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ShopperEvent(Base):
    """Something a shopper did (search, view, like, dislike, save, add_to_cart) or bought (purchase)."""

    __tablename__ = "shopper_events"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    type: Mapped[str] = mapped_column(String(20), index=True)
    product_id: Mapped[str] = mapped_column(String(64), default="", index=True)
    shopper_ref: Mapped[str] = mapped_column(String(64), default="")
    session_id: Mapped[str] = mapped_column(String(64), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source: Mapped[str] = mapped_column(String(20), default="app")
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DeadLetter(Base):
    """An outbound delivery given up after its retries, kept to be inspected and replayed."""

    __tablename__ = "dead_letters"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ApiKey(Base):
    """A key a shop system uses to call StyleLens, with scopes; only its hash is stored."""

    __tablename__ = "api_keys"

    key_id: Mapped[str] = mapped_column(String(24), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    replaced_by: Mapped[str] = mapped_column(String(24), default="")
