"""Shoppers' accounts: created by signing up (local), by a first OIDC sign-in, or for an anonymous device;
signed in to a bearer session; profile rectification (Art. 16) and objection to profiling (Art. 21)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from stylelens.auth.oidc import OidcVerifier
from stylelens.auth.passwords import check_password, hash_password
from stylelens.auth.sessions import close_session, open_session, session_shopper
from stylelens.errors import Forbidden, InvalidInput, NotFound, NotSignedIn
from stylelens.privacy.audit import AuditTrail
from stylelens.storage.db import transaction
from stylelens.storage.shopper_models import Shopper, ShopperLogin

LOCAL = "local"
PROFILE_FIELDS = ("display_name", "email", "locale", "sizes", "profiling_objection")


@dataclass(frozen=True)
class SignedIn:
    shopper_id: str
    token: str
    created: bool


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320 or email.startswith("@") or email.endswith("@"):
        raise InvalidInput("this is not an e-mail address")
    return email


class Accounts:
    """Creates shoppers and their sessions."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        audit: AuditTrail,
        session_days: int,
        oidc: OidcVerifier | None = None,
        local_accounts: bool = True,
    ) -> None:
        self.sessions, self.audit, self.session_days = sessions, audit, session_days
        self.oidc, self.local_accounts = oidc, local_accounts

    def register(self, email: str, password: str, display_name: str = "", locale: str = "fr") -> SignedIn:
        if not self.local_accounts:
            raise Forbidden("local accounts are turned off; sign in with the shop's account")
        email, hashed = normalise_email(email), hash_password(password)
        try:
            with transaction(self.sessions) as session:
                shopper = self._new(session, "local", display_name=display_name, email=email, locale=locale)
                session.add(ShopperLogin(shopper_id=shopper.id, provider=LOCAL, subject=email, password_hash=hashed))
                session.flush()
                token = open_session(session, shopper.id, self.session_days)
        except IntegrityError as exc:
            raise InvalidInput("an account with this e-mail already exists; sign in instead") from exc
        return SignedIn(shopper.id, token, True)

    def sign_in(self, email: str, password: str) -> SignedIn:
        with transaction(self.sessions) as session:
            login = session.scalar(
                select(ShopperLogin).where(
                    ShopperLogin.provider == LOCAL, ShopperLogin.subject == email.strip().lower()
                )
            )
            if not check_password(login.password_hash if login else None, password) or login is None:
                raise NotSignedIn("wrong e-mail or password")
            self.audit.record(session, "shopper.signed_in", login.shopper_id, method=LOCAL)
            return SignedIn(login.shopper_id, open_session(session, login.shopper_id, self.session_days), False)

    def sign_in_oidc(self, id_token: str) -> SignedIn:
        if self.oidc is None:
            raise NotFound("sign-in with the shop's account is not configured here")
        identity = self.oidc.verify(id_token)
        with transaction(self.sessions) as session:
            login = session.scalar(
                select(ShopperLogin).where(
                    ShopperLogin.provider == identity.issuer, ShopperLogin.subject == identity.subject
                )
            )
            created = login is None
            if login is None:
                shopper = self._new(session, "oidc", display_name=identity.name[:120], email=identity.email[:320])
                login = ShopperLogin(shopper_id=shopper.id, provider=identity.issuer, subject=identity.subject)
                session.add(login)
                session.flush()
            self.audit.record(session, "shopper.signed_in", login.shopper_id, method="oidc")
            return SignedIn(login.shopper_id, open_session(session, login.shopper_id, self.session_days), created)

    def start_device(self, locale: str = "fr") -> SignedIn:
        """An anonymous shopper for this device: no name, no e-mail, a session token only."""
        with transaction(self.sessions) as session:
            shopper = self._new(session, "device", locale=locale)
            session.flush()
            return SignedIn(shopper.id, open_session(session, shopper.id, self.session_days), True)

    def shopper_for(self, token: str) -> Shopper:
        """The shopper a bearer token (session token, or an OIDC ID token) stands for."""
        with self.sessions() as session:
            shopper_id = session_shopper(session, token)
            if shopper_id is None and self.oidc is not None and token.count(".") == 2:
                identity = self.oidc.verify(token)
                shopper_id = session.scalar(
                    select(ShopperLogin.shopper_id).where(
                        ShopperLogin.provider == identity.issuer, ShopperLogin.subject == identity.subject
                    )
                )
            shopper = session.get(Shopper, shopper_id) if shopper_id else None
        if shopper is None:
            raise NotSignedIn("sign in first (the session is missing, expired or revoked)")
        return shopper

    def sign_out(self, token: str) -> None:
        with transaction(self.sessions) as session:
            close_session(session, token)

    def rectify(self, shopper_id: str, changes: dict[str, Any]) -> Shopper:
        """Correct the profile (only the listed fields); an e-mail change also changes the local sign-in."""
        unknown = set(changes) - set(PROFILE_FIELDS)
        if unknown:
            raise InvalidInput(f"these fields cannot be changed: {', '.join(sorted(unknown))}")
        with transaction(self.sessions) as session:
            shopper = session.get(Shopper, shopper_id)
            if shopper is None:
                raise NotSignedIn("this account no longer exists")
            if "email" in changes:
                changes["email"] = normalise_email(changes["email"]) if changes["email"] else ""
                login = session.scalar(
                    select(ShopperLogin).where(ShopperLogin.shopper_id == shopper_id, ShopperLogin.provider == LOCAL)
                )
                if login is not None:
                    if not changes["email"]:
                        raise InvalidInput("a local account needs an e-mail address to sign in")
                    login.subject = changes["email"]
            for name, value in changes.items():
                setattr(shopper, name, value)
            try:
                session.flush()
            except IntegrityError as exc:
                raise InvalidInput("another account already uses this e-mail") from exc
            self.audit.record(session, "profile.rectified", shopper_id, fields=sorted(changes))
            return shopper

    def _new(self, session: Session, kind: str, **fields: Any) -> Shopper:
        shopper = Shopper(id=str(uuid.uuid4()), kind=kind, sizes={}, profiling_objection=False, **fields)
        session.add(shopper)
        session.flush()
        self.audit.record(session, "shopper.created", shopper.id, kind=kind)
        return shopper
