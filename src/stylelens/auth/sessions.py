"""Bearer sessions: a random token handed to the app once; the database keeps only its SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from stylelens.storage.models import utcnow
from stylelens.storage.shopper_models import ShopperSession

PREFIX = "sls_"  # tells a session token from an OIDC ID token (a JWT) at a glance


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, shopper_id: str, days: int) -> str:
    token = PREFIX + secrets.token_urlsafe(32)
    session.add(
        ShopperSession(token_hash=token_hash(token), shopper_id=shopper_id, expires_at=utcnow() + timedelta(days=days))
    )
    return token


def session_shopper(session: Session, token: str) -> str | None:
    """The shopper a live session token belongs to, or None."""
    row = session.get(ShopperSession, token_hash(token))
    if row is None:
        return None
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
    return row.shopper_id if expires > datetime.now(UTC) else None


def close_session(session: Session, token: str) -> None:
    session.execute(delete(ShopperSession).where(ShopperSession.token_hash == token_hash(token)))
