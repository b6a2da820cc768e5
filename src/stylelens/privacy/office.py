"""The privacy office: one object holding the consent book, the audit trail, saved photos and the pseudonymiser,
built once from settings (see `Services.privacy`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from stylelens.config import Settings
from stylelens.privacy.audit import AuditTrail
from stylelens.privacy.consent import ConsentBook
from stylelens.privacy.crypto import PhotoCipher
from stylelens.privacy.keys import load_key
from stylelens.privacy.photos import PhotoLimits, SavedPhotos
from stylelens.privacy.pseudonyms import Pseudonymiser
from stylelens.storage.blobs import BlobStore


@dataclass
class PrivacyOffice:
    pseudonym: Pseudonymiser
    audit: AuditTrail
    consent: ConsentBook
    photos: SavedPhotos

    @classmethod
    def build(cls, settings: Settings, sessions: sessionmaker[Session], blobs: BlobStore) -> PrivacyOffice:
        p, key_dir = settings.privacy, settings.storage.data_dir / "keys"
        pseudonym = Pseudonymiser(load_key(p.pseudonym_key, key_dir, "pseudonym"))
        audit = AuditTrail(pseudonym)
        consent = ConsentBook(audit, p.policy_version)
        cipher = PhotoCipher(load_key(p.photo_key, key_dir, "photo"))
        limits = PhotoLimits(settings.vision.max_bytes, settings.vision.max_pixels, p.photo_retention_days)
        return cls(pseudonym, audit, consent, SavedPhotos(sessions, blobs, cipher, consent, audit, limits))
