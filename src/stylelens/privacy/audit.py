"""The audit trail of personal-data operations: what, when, and the pseudonym of the shopper concerned.

Entries never hold a name, an e-mail, an IP address, a photo or a raw shopper id. When a shopper is erased their
entries are re-labelled "erased" (the trail keeps that something happened, not to whom).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from stylelens.privacy.pseudonyms import Pseudonymiser
from stylelens.storage.shopper_models import AuditEvent

log = logging.getLogger("stylelens.privacy")
ERASED = "erased"


class AuditTrail:
    """Writes audit entries in the caller's transaction and mirrors them to the log (same content)."""

    def __init__(self, pseudonym: Pseudonymiser) -> None:
        self.pseudonym = pseudonym

    def record(self, session: Session, action: str, shopper_id: str, **details: Any) -> None:
        subject = self.pseudonym(shopper_id)
        session.add(AuditEvent(action=action, subject=subject, details=details))
        log.info(action, extra={"shopper": subject, **details})

    def forget(self, session: Session, shopper_id: str) -> int:
        """Cut the link between the trail and an erased shopper; returns how many entries were re-labelled."""
        result = session.execute(
            update(AuditEvent).where(AuditEvent.subject == self.pseudonym(shopper_id)).values(subject=ERASED)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
