"""Tables of shoppers and their rights: accounts, sign-in, consents, saved photos, erasure jobs, the audit trail.

Personal data lives only in `shoppers`, `shopper_logins`, `shopper_sessions`, `consents` and `saved_photos`
(every row keyed by the shopper, deleted on erasure). `erasure_jobs` and `privacy_audit` hold pseudonyms
(keyed HMACs) and never a name, an e-mail, an IP address or a photo. Plain types only: SQLite and PostgreSQL.
Migration 0003.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from stylelens.storage.models import Base, utcnow


class Shopper(Base):
    """A person using the app: signed in (OIDC or a local account) or an anonymous device."""

    __tablename__ = "shoppers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # random UUID, never shown to third parties
    kind: Mapped[str] = mapped_column(String(12))  # "oidc", "local", "device"
    display_name: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    locale: Mapped[str] = mapped_column(String(8), default="fr")
    sizes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # e.g. {"top": "M", "shoes": "39"}
    profiling_objection: Mapped[bool] = mapped_column(Boolean, default=False)  # GDPR Art. 21
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class ShopperLogin(Base):
    """How a shopper proves who they are: an OIDC (issuer, subject) pair or a local e-mail + argon2 hash."""

    __tablename__ = "shopper_logins"
    __table_args__ = (UniqueConstraint("provider", "subject", name="uq_shopper_logins_provider_subject"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    shopper_id: Mapped[str] = mapped_column(ForeignKey("shoppers.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(300))  # "local" or the OIDC issuer URL
    subject: Mapped[str] = mapped_column(String(320))  # normalised e-mail (local) or the token's `sub`
    password_hash: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ShopperSession(Base):
    """A bearer session: only the SHA-256 of the token is kept, so a database leak signs nobody in."""

    __tablename__ = "shopper_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    shopper_id: Mapped[str] = mapped_column(ForeignKey("shoppers.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Consent(Base):
    """One consent decision for one purpose, against one version of the policy text; never updated, only added."""

    __tablename__ = "consents"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    shopper_id: Mapped[str] = mapped_column(ForeignKey("shoppers.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(40))
    granted: Mapped[bool] = mapped_column(Boolean)
    policy_version: Mapped[str] = mapped_column(String(40))
    policy_sha256: Mapped[str] = mapped_column(String(64))  # the exact text the shopper was shown
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


Index("ix_consents_shopper_purpose", Consent.shopper_id, Consent.purpose)


class SavedPhoto(Base):
    """A photo the shopper chose to keep: face-blurred, metadata-free, encrypted in the blob store, expiring."""

    __tablename__ = "saved_photos"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    shopper_id: Mapped[str] = mapped_column(ForeignKey("shoppers.id", ondelete="CASCADE"), index=True)
    blob_key: Mapped[str] = mapped_column(String(300))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    faces_blurred: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class ErasureJob(Base):
    """The record that a shopper's data was erased (or still is being): areas done and failed, no personal data."""

    __tablename__ = "erasure_jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject: Mapped[str] = mapped_column(String(64), index=True)  # pseudonym of the erased shopper
    status: Mapped[str] = mapped_column(String(12))  # "running", "done", "retrying"
    areas_done: Mapped[list[str]] = mapped_column(JSON, default=list)
    areas_failed: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # area -> error class name
    pending: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # area -> what it needs to retry
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AuditEvent(Base):
    """Who did what to personal data, when: pseudonyms and purposes only."""

    __tablename__ = "privacy_audit"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(40))  # e.g. "consent.granted", "photo.saved", "shopper.erased"
    subject: Mapped[str] = mapped_column(String(64), index=True)  # pseudonym of the shopper concerned
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
