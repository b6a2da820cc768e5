"""Local account passwords: argon2id (argon2-cffi defaults, RFC 9106 low-memory profile)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from stylelens.errors import InvalidInput

_hasher = PasswordHasher()
# Checked against when the e-mail is unknown, so a wrong e-mail costs as long as a wrong password.
_DUMMY = _hasher.hash("stylelens-no-such-account")
MIN_LENGTH = 10


def hash_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"the password must have at least {MIN_LENGTH} characters")
    return _hasher.hash(password)


def check_password(stored: str | None, password: str) -> bool:
    """Whether the password matches the stored hash (None: unknown account, still spends the same time)."""
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False
