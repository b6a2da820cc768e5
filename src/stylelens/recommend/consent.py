"""The one place that decides whether a shopper's ranking may be personalised.

Without the shopper's personalisation consent (or when the shop turned personalisation off, or for an
anonymous request) no taste profile is built and ranking is the same as for everyone. The consent itself is
kept by the privacy part (`stylelens.privacy.consent.ConsentBook`); anything with `allows_personalisation`
can back this check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol

from sqlalchemy.orm import Session, sessionmaker


class PersonalisationConsent(Protocol):
    def allows_personalisation(self, shopper_id: str) -> bool: ...


class _Book(Protocol):
    def allows(self, session: Session, shopper_id: str, purpose: Literal["personalisation"]) -> bool: ...


class ConsentBookCheck:
    """Personalisation consent read from the privacy part's consent book (opened on first use)."""

    def __init__(self, sessions: sessionmaker[Session], book: Callable[[], _Book]) -> None:
        self.sessions = sessions
        self.book = book

    def allows_personalisation(self, shopper_id: str) -> bool:
        with self.sessions() as session:
            return bool(self.book().allows(session, shopper_id, "personalisation"))


def personalisation_allowed(shopper_id: str | None, consent: PersonalisationConsent | None, enabled: bool) -> bool:
    """Whether this request may use the shopper's taste: the shop allows it, we know who, they consented."""
    return enabled and shopper_id is not None and consent is not None and consent.allows_personalisation(shopper_id)
