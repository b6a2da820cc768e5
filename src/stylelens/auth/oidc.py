"""OpenID Connect sign-in: an ID token from the shop's identity provider, checked against the issuer's JWKS.

Checks: signature with a key from the issuer's JWKS (by `kid`, RS256/ES256 only, never "none" or HMAC),
issuer, audience, expiry and not-before (60 s leeway), and a subject. The JWKS is fetched from the issuer's
discovery document (or `auth.oidc_jwks_url`), cached, and fetched again when a token names an unknown key
(the provider rotated its keys), at most once a minute.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from stylelens.errors import NotReady, NotSignedIn

ALGORITHMS = ["RS256", "ES256"]
LEEWAY_S = 60
REFRESH_MIN_S = 60.0


@dataclass(frozen=True)
class OidcIdentity:
    """Who the identity provider says the shopper is."""

    issuer: str
    subject: str
    email: str
    name: str


class OidcVerifier:
    """Verifies ID tokens of one issuer for one audience."""

    def __init__(
        self,
        issuer: str,
        audience: str,
        jwks_url: str = "",
        client: httpx.Client | None = None,
        refresh_min_s: float = REFRESH_MIN_S,
    ) -> None:
        self.issuer, self.audience, self._jwks_url = issuer.rstrip("/"), audience, jwks_url
        self.refresh_min_s = refresh_min_s
        self._client = client or httpx.Client(timeout=5.0)
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    def verify(self, token: str) -> OidcIdentity:
        """The identity in a valid ID token; NotSignedIn for any token we cannot trust."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise NotSignedIn("the sign-in token is malformed") from exc
        if header.get("alg") not in ALGORITHMS:
            raise NotSignedIn("the sign-in token uses an algorithm we do not accept")
        key = self._key(str(header.get("kid", "")))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                leeway=LEEWAY_S,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise NotSignedIn(f"the sign-in token is not valid ({type(exc).__name__})") from exc
        return OidcIdentity(self.issuer, str(claims["sub"]), str(claims.get("email", "")), str(claims.get("name", "")))

    def _key(self, kid: str) -> Any:
        with self._lock:
            stale = not self._fetched_at or time.monotonic() - self._fetched_at > self.refresh_min_s
            if kid not in self._keys and stale:
                self._keys = self._fetch_keys()
                self._fetched_at = time.monotonic()
            if kid not in self._keys:
                raise NotSignedIn("the sign-in token is signed with a key the issuer does not publish")
            return self._keys[kid]

    def _fetch_keys(self) -> dict[str, Any]:
        try:
            url = self._jwks_url or self._discover()
            response = self._client.get(url)
            response.raise_for_status()
            keyset = jwt.PyJWKSet.from_dict(response.json())
        except (httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
            raise NotReady(f"the identity provider's keys cannot be read ({type(exc).__name__})") from exc
        return {k.key_id: k.key for k in keyset.keys if k.key_id}

    def _discover(self) -> str:
        response = self._client.get(f"{self.issuer}/.well-known/openid-configuration")
        response.raise_for_status()
        document = response.json()
        if document.get("issuer", "").rstrip("/") != self.issuer:
            raise ValueError("discovery document names another issuer")
        return str(document["jwks_uri"])
