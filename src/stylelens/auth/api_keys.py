"""API keys for the shop's systems (`catalog:write`, `events:write`): shown once, stored as a hash, rotatable.

A key reads `slk_<key id>_<secret>`. Only the SHA-256 of the secret is stored: the secret is 256 random bits,
so a slow password hash would add nothing. Rotating a key issues a new one with the same name and scopes and
lets the old one work for a grace period, so the shop can redeploy without downtime.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from stylelens.errors import Forbidden, InvalidInput, NotFound, NotSignedIn
from stylelens.storage.db import transaction
from stylelens.storage.integration_models import ApiKey
from stylelens.storage.models import utcnow

SCOPES: Final = ("catalog:write", "events:write")
PREFIX: Final = "slk"


@dataclass(frozen=True)
class IssuedKey:
    """A new key: `token` is shown once and never again."""

    key_id: str
    name: str
    scopes: tuple[str, ...]
    token: str


@dataclass(frozen=True)
class KeyInfo:
    key_id: str
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None
    replaced_by: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(sessions: sessionmaker[Session], name: str, scopes: list[str]) -> IssuedKey:
    """Issue a key with the given scopes."""
    unknown = set(scopes) - set(SCOPES)
    if unknown or not scopes:
        raise InvalidInput(f"scopes must be among {', '.join(SCOPES)} (got {', '.join(sorted(unknown)) or 'none'})")
    if not name.strip() or len(name) > 120:
        raise InvalidInput("a key needs a name of 1 to 120 characters")
    key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    with transaction(sessions) as session:
        session.add(ApiKey(key_id=key_id, name=name.strip(), secret_hash=_hash(secret), scopes=sorted(set(scopes))))
    return IssuedKey(key_id, name.strip(), tuple(sorted(set(scopes))), f"{PREFIX}_{key_id}_{secret}")


def rotate_key(sessions: sessionmaker[Session], key_id: str, grace: timedelta = timedelta(hours=24)) -> IssuedKey:
    """A new key replacing `key_id`, which keeps working for `grace` (zero: revoked at once)."""
    with sessions() as session:
        old = session.get(ApiKey, key_id)
    if old is None or old.replaced_by:
        raise NotFound(f"no active API key {key_id!r}")
    issued = create_key(sessions, old.name, list(old.scopes))
    with transaction(sessions) as session:
        row = session.get(ApiKey, key_id)
        assert row is not None
        row.replaced_by = issued.key_id
        row.expires_at = utcnow() + grace
    return issued


def list_keys(sessions: sessionmaker[Session]) -> list[KeyInfo]:
    with sessions() as session:
        rows = session.scalars(select(ApiKey).order_by(ApiKey.created_at))
        return [KeyInfo(r.key_id, r.name, tuple(r.scopes), r.created_at, r.expires_at, r.replaced_by) for r in rows]


def authenticate(sessions: sessionmaker[Session], token: str, scope: str) -> KeyInfo:
    """The key behind a token if it is valid, unexpired and has `scope`; NotSignedIn or Forbidden otherwise."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        raise NotSignedIn("send an API key: 'Authorization: Bearer slk_...'")
    with sessions() as session:
        row = session.get(ApiKey, parts[1])
    if row is None or not hmac.compare_digest(row.secret_hash, _hash(parts[2])):
        raise NotSignedIn("this API key is not valid")
    if row.expires_at is not None and _aware(row.expires_at) <= datetime.now(UTC):
        raise NotSignedIn("this API key has expired (it was rotated); use its replacement")
    if scope not in row.scopes:
        raise Forbidden(f"this API key lacks the {scope} scope")
    return KeyInfo(row.key_id, row.name, tuple(row.scopes), row.created_at, row.expires_at, row.replaced_by)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite returns naive UTC
