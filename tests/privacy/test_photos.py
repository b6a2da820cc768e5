"""Saved photos: only with consent; stored face-blurred, without metadata, encrypted; purged when they expire."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from face_photos import face_photos
from PIL import Image
from shopper_app import Shop, grant, jpeg, register, save_photo
from typer.testing import CliRunner

from stylelens.errors import StyleLensError
from stylelens.privacy.photos import PREFIX
from stylelens.privacy.retention import run_privacy_jobs
from stylelens.storage.models import utcnow
from stylelens.vision.faces import find_faces


def _exif_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}  # GPSInfo: Paris
    return exif.tobytes()


def _stored(shop: Shop, photo_id: str) -> bytes:
    [key] = [k for k in shop.services.blobs.keys(PREFIX) if photo_id in k]
    return shop.services.blobs.get(key)


def test_saving_needs_consent_and_withdrawal_stops_it(shop: Shop) -> None:
    client = shop.client
    ada = register(client, "ada@example.org")
    photo = jpeg(face_photos()["astronaut"])
    refused = client.post("/v1/me/photos", headers=ada.headers, files={"image": ("p.jpg", photo, "image/jpeg")})
    assert refused.status_code == 403 and refused.json()["title"] == "Consent required"
    grant(client, ada, "photo_processing")
    save_photo(client, ada, photo)
    client.put("/v1/me/consents/photo_processing", headers=ada.headers, json={"granted": False})
    again = client.post("/v1/me/photos", headers=ada.headers, files={"image": ("p.jpg", photo, "image/jpeg")})
    assert again.status_code == 403
    assert len(shop.services.blobs.keys(PREFIX)) == 1


def test_every_stored_photo_is_face_blurred_metadata_free_and_encrypted(shop: Shop) -> None:
    client = shop.client
    ada = register(client, "ada@example.org")
    grant(client, ada, "photo_processing")
    for name, photo in face_photos().items():
        saved = save_photo(client, ada, jpeg(photo, exif=_exif_with_gps()))
        assert saved["faces_blurred"] >= 1, name
        sealed = _stored(shop, str(saved["id"]))
        # At rest: not an image, no trace of the metadata.
        assert not sealed.startswith(b"\xff\xd8") and b"Exif" not in sealed and b"PhoneMaker" not in sealed
        with pytest.raises(Exception):  # noqa: B017 - any failure to open is what we want
            Image.open(io.BytesIO(sealed)).load()
        # Read back by the shopper: a JPEG with no EXIF at all, and no face a detector still finds.
        shown = client.get(f"/v1/me/photos/{saved['id']}", headers=ada.headers)
        image = Image.open(io.BytesIO(shown.content))
        assert image.format == "JPEG" and not image.getexif() and "exif" not in image.info, name
        assert not [f for f in find_faces(image) if f.score >= 0.5], name
        assert image.size == photo.size


def test_a_sealed_photo_moved_under_another_key_does_not_open(shop: Shop) -> None:
    ada = register(shop.client, "ada@example.org")
    grant(shop.client, ada, "photo_processing")
    saved = save_photo(shop.client, ada, jpeg(face_photos()["astronaut"]))
    sealed = _stored(shop, str(saved["id"]))
    with pytest.raises(StyleLensError, match="cannot be decrypted"):
        shop.services.privacy.photos.cipher.decrypt(sealed, f"{PREFIX}someone-else.bin")


def test_the_purge_job_deletes_expired_photos_and_orphans(shop: Shop) -> None:
    client, services = shop.client, shop.services
    ada = register(client, "ada@example.org")
    grant(client, ada, "photo_processing")
    saved = save_photo(client, ada, jpeg(face_photos()["grace_hopper"]))
    services.blobs.put(f"{PREFIX}orphan.bin", b"left by a crash", "application/octet-stream")
    retention = timedelta(days=services.settings.privacy.photo_retention_days)

    report = run_privacy_jobs(services, now=utcnow() + retention - timedelta(hours=1))
    assert report["photos_expired"] == 0 and report["photo_blobs_orphaned"] == 1
    assert client.get(f"/v1/me/photos/{saved['id']}", headers=ada.headers).status_code == 200

    report = run_privacy_jobs(services, now=utcnow() + retention + timedelta(hours=1))
    assert report["photos_expired"] == 1
    assert services.blobs.keys(PREFIX) == []
    assert client.get("/v1/me/photos", headers=ada.headers).json() == []


def test_the_privacy_command_runs_the_jobs(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    from stylelens import cli
    from stylelens.config import get_settings

    data_dir = shop.services.settings.storage.data_dir
    monkeypatch.setenv("STYLELENS_STORAGE__DATA_DIR", str(data_dir))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.app, ["privacy", "run"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "photos_expired=0" in result.output
