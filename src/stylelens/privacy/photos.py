"""Photos a shopper chooses to save: face-blurred, stripped of metadata, encrypted at rest, deleted when they expire.

A search photo is never stored: it is analysed in memory and dropped. Saving needs the photo_processing consent,
checked here, at the point of storing. The stored blob is a re-encoded JPEG of the decoded pixels (so no EXIF,
GPS, ICC or XMP survives) with every face blurred, sealed with AES-GCM under a key that names no shopper.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from stylelens.errors import NotFound
from stylelens.privacy.audit import AuditTrail
from stylelens.privacy.consent import ConsentBook
from stylelens.privacy.crypto import PhotoCipher
from stylelens.storage.blobs import BlobStore
from stylelens.storage.db import transaction
from stylelens.storage.models import utcnow
from stylelens.storage.shopper_models import SavedPhoto
from stylelens.vision.decode import decode_image
from stylelens.vision.faces import blur_faces, find_faces

PREFIX = "shopper-photos/"
JPEG_QUALITY = 88


@dataclass(frozen=True)
class PhotoLimits:
    max_bytes: int
    max_pixels: int
    retention_days: int


class SavedPhotos:
    """Saves, reads, deletes and purges shoppers' saved photos."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        blobs: BlobStore,
        cipher: PhotoCipher,
        consent: ConsentBook,
        audit: AuditTrail,
        limits: PhotoLimits,
    ) -> None:
        self.sessions, self.blobs, self.cipher = sessions, blobs, cipher
        self.consent, self.audit, self.limits = consent, audit, limits

    def save(self, shopper_id: str, upload: bytes) -> SavedPhoto:
        """Keep a photo for the shopper (needs photo_processing consent); returns its record."""
        with transaction(self.sessions) as session:
            self.consent.require(session, shopper_id, "photo_processing")
        image = decode_image(upload, max_bytes=self.limits.max_bytes, max_pixels=self.limits.max_pixels)
        faces = find_faces(image)
        clean = blur_faces(image, faces)
        photo_id = str(uuid.uuid4())
        key = f"{PREFIX}{photo_id}.bin"
        self.blobs.put(key, self.cipher.encrypt(_jpeg(clean), key), "application/octet-stream")
        now = utcnow()
        row = SavedPhoto(
            id=photo_id,
            shopper_id=shopper_id,
            blob_key=key,
            width=clean.width,
            height=clean.height,
            faces_blurred=len(faces),
            created_at=now,
            expires_at=now + timedelta(days=self.limits.retention_days),
        )
        try:
            with transaction(self.sessions) as session:
                session.add(row)
                self.audit.record(session, "photo.saved", shopper_id, faces_blurred=len(faces))
        except Exception:
            self.blobs.delete(key)
            raise
        return row

    def list(self, session: Session, shopper_id: str) -> list[SavedPhoto]:
        query = select(SavedPhoto).where(SavedPhoto.shopper_id == shopper_id).order_by(SavedPhoto.created_at)
        return list(session.scalars(query))

    def read(self, shopper_id: str, photo_id: str) -> bytes:
        """The JPEG bytes of one of the shopper's photos; another shopper's photo is 'not found'."""
        with self.sessions() as session:
            row = session.get(SavedPhoto, photo_id)
            if row is None or row.shopper_id != shopper_id:
                raise NotFound("no such saved photo")
            key = row.blob_key
        return self.cipher.decrypt(self.blobs.get(key), key)

    def delete(self, shopper_id: str, photo_id: str) -> None:
        with transaction(self.sessions) as session:
            row = session.get(SavedPhoto, photo_id)
            if row is None or row.shopper_id != shopper_id:
                raise NotFound("no such saved photo")
            self.blobs.delete(row.blob_key)
            session.delete(row)
            self.audit.record(session, "photo.deleted", shopper_id)

    def purge_expired(self, now: datetime | None = None) -> int:
        """Delete every photo past its retention period (the purge job); returns how many went."""
        now = now or utcnow()
        with transaction(self.sessions) as session:
            expired = list(session.scalars(select(SavedPhoto).where(SavedPhoto.expires_at <= now)))
            for row in expired:
                self.blobs.delete(row.blob_key)
                session.delete(row)
                self.audit.record(session, "photo.expired", row.shopper_id)
        return len(expired)

    def purge_orphans(self) -> int:
        """Delete photo blobs that no row points to (a crash between blob and row); returns how many."""
        with self.sessions() as session:
            known = set(session.scalars(select(SavedPhoto.blob_key)))
        orphans = [k for k in self.blobs.keys(PREFIX) if k not in known]
        for key in orphans:
            self.blobs.delete(key)
        return len(orphans)


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=JPEG_QUALITY)  # no exif/icc arguments: none written
    return buffer.getvalue()
