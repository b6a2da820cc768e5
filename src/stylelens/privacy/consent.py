"""Consent per purpose, against a versioned policy text; timestamped, withdrawable, checked where processing happens.

Purposes:
- photo_processing: keep photos the shopper saves (face-blurred, encrypted, deleted after the retention period).
  A search photo that is not saved is analysed in memory and discarded; it needs no stored consent.
- personalisation: build a taste profile from the shopper's events and re-rank results with it (profiling).
- analytics: keep the shopper's events for product statistics.

Each decision is a new row (never an update), so the history shows what was agreed to, when, on which text.
Processing code asks `ConsentBook.allows(...)` or `require(...)` at the point where it processes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from stylelens.errors import ConsentRequired, InvalidInput
from stylelens.privacy.audit import AuditTrail
from stylelens.storage.shopper_models import Consent, Shopper

Purpose = Literal["photo_processing", "personalisation", "analytics"]
PURPOSES: Final[tuple[Purpose, ...]] = ("photo_processing", "personalisation", "analytics")

POLICY_TEXT: Final[dict[str, str]] = {
    "photo_processing": (
        "Keep the photos I choose to save, so I can search with them again. Faces are blurred before a photo is "
        "stored, metadata is removed, it is encrypted, and it is deleted after the retention period or when I ask."
    ),
    "personalisation": (
        "Use what I search, view, like and buy to learn my taste and order results for me. I can turn this off at "
        "any time; results are then ordered the same way for everyone."
    ),
    "analytics": "Keep a record of what I do in the app to measure and improve the service.",
}


def policy_sha256(purpose: str, version: str) -> str:
    """The fingerprint of the exact text shown for a purpose in a policy version."""
    return hashlib.sha256(f"{version}\n{purpose}\n{POLICY_TEXT[purpose]}".encode()).hexdigest()


@dataclass(frozen=True)
class ConsentState:
    """The latest decision for one purpose (granted False when the shopper never decided)."""

    purpose: str
    granted: bool
    policy_version: str
    decided_at: datetime | None


class ConsentBook:
    """Reads and records consent decisions."""

    def __init__(self, audit: AuditTrail, policy_version: str) -> None:
        self.audit = audit
        self.policy_version = policy_version

    def decide(self, session: Session, shopper_id: str, purpose: str, granted: bool) -> ConsentState:
        """Record a grant or a withdrawal for one purpose, against the current policy text."""
        if purpose not in PURPOSES:
            raise InvalidInput(f"unknown purpose {purpose!r}; use one of: {', '.join(PURPOSES)}")
        row = Consent(
            shopper_id=shopper_id,
            purpose=purpose,
            granted=granted,
            policy_version=self.policy_version,
            policy_sha256=policy_sha256(purpose, self.policy_version),
        )
        session.add(row)
        session.flush()
        action = "consent.granted" if granted else "consent.withdrawn"
        self.audit.record(session, action, shopper_id, purpose=purpose, policy_version=self.policy_version)
        return ConsentState(purpose, granted, self.policy_version, row.decided_at)

    def current(self, session: Session, shopper_id: str) -> dict[str, ConsentState]:
        """The latest decision per purpose; a grant on an older policy version no longer counts."""
        states: dict[str, ConsentState] = {p: ConsentState(p, False, self.policy_version, None) for p in PURPOSES}
        for row in self.history(session, shopper_id):
            valid = row.granted and row.policy_version == self.policy_version
            states[row.purpose] = ConsentState(row.purpose, valid, row.policy_version, row.decided_at)
        return states

    def history(self, session: Session, shopper_id: str) -> list[Consent]:
        query = select(Consent).where(Consent.shopper_id == shopper_id).order_by(Consent.decided_at, Consent.pk)
        return list(session.scalars(query))

    def allows(self, session: Session, shopper_id: str, purpose: Purpose) -> bool:
        """Whether this processing may happen now; profiling also stops when the shopper objected (Art. 21)."""
        if not self.current(session, shopper_id)[purpose].granted:
            return False
        if purpose == "personalisation":
            shopper = session.get(Shopper, shopper_id)
            return shopper is not None and not shopper.profiling_objection
        return True

    def require(self, session: Session, shopper_id: str, purpose: Purpose) -> None:
        if not self.allows(session, shopper_id, purpose):
            raise ConsentRequired(f"this needs your consent to '{purpose}' (see /v1/me/consents)")
