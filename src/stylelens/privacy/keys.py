"""Secrets for personal data: from settings (the environment, or Key Vault secrets injected as environment
variables by the Azure deployment), else one random key per purpose kept in a 0600 file under the data folder
(the embedded default, so a fresh clone works and no key is ever committed)."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from stylelens.errors import InvalidInput

KEY_BYTES = 32


def decode_key(text: str, name: str) -> bytes:
    """A base64url (or hex) text to 32 key bytes; anything else is refused with the setting's name."""
    text = text.strip()
    try:
        raw = bytes.fromhex(text) if len(text) == 2 * KEY_BYTES else base64.urlsafe_b64decode(text + "==")
    except ValueError as exc:
        raise InvalidInput(f"the {name} key is neither base64url nor hex") from exc
    if len(raw) != KEY_BYTES:
        raise InvalidInput(f"the {name} key must be {KEY_BYTES} bytes, not {len(raw)}")
    return raw


def load_key(configured: str, key_dir: Path, name: str) -> bytes:
    """The configured key, or the local key file for `name` (created on first use, readable by us only)."""
    if configured:
        return decode_key(configured, name)
    path = key_dir / f"{name}.key"
    if path.is_file():
        return decode_key(path.read_text(), name)
    key_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode().rstrip("="))
    return decode_key(path.read_text(), name)
