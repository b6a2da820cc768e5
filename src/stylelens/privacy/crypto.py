"""Saved photos at rest: AES-256-GCM with a random nonce; the blob key is bound in as associated data, so a
ciphertext copied under another key (another shopper's photo) fails to decrypt rather than showing."""

from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from stylelens.errors import StyleLensError

MAGIC = b"SLP1"  # format marker: version 1, AES-256-GCM, 12-byte nonce
NONCE_BYTES = 12


class PhotoCipher:
    """Encrypts and decrypts saved photos with one 32-byte key."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def encrypt(self, plain: bytes, blob_key: str) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return MAGIC + nonce + self._aead.encrypt(nonce, plain, blob_key.encode())

    def decrypt(self, sealed: bytes, blob_key: str) -> bytes:
        if not sealed.startswith(MAGIC):
            raise StyleLensError(f"blob {blob_key!r} is not an encrypted photo")
        nonce, body = sealed[len(MAGIC) : len(MAGIC) + NONCE_BYTES], sealed[len(MAGIC) + NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, body, blob_key.encode())
        except InvalidTag as exc:
            raise StyleLensError(f"blob {blob_key!r} cannot be decrypted with this key") from exc
