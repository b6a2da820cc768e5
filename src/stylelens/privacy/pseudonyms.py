"""Pseudonyms: a keyed HMAC of an identifier, so logs and the audit trail can tell events of one shopper (or one
client address) apart without holding the identifier itself. Without the key a pseudonym cannot be reversed or
recomputed; once the shopper's id is erased, nothing links the pseudonym back to a person."""

from __future__ import annotations

import hashlib
import hmac


class Pseudonymiser:
    """Turns ids and IP addresses into stable 32-hex-digit pseudonyms, one namespace per kind."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def __call__(self, value: str, kind: str = "shopper") -> str:
        return hmac.new(self._key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:32]
