"""The export ZIP: valid against its JSON schema, and holding everything the shopper gave or we derived."""

from __future__ import annotations

import io
import json
import zipfile

import jsonschema
from face_photos import face_photos
from PIL import Image
from shopper_app import Shop, grant, jpeg, register, save_photo

from stylelens.events.intake import EventInput, record_event
from stylelens.privacy.export import export_schema
from stylelens.storage.db import transaction
from stylelens.storage.taste_models import TasteSettings
from stylelens.vision.faces import find_faces


def test_export_zip_validates_and_holds_everything(shop: Shop) -> None:
    client, services = shop.client, shop.services
    ada = register(client, "ada@example.org", "Ada")
    grant(client, ada, "photo_processing", "personalisation")
    withdrawn = client.put("/v1/me/consents/personalisation", headers=ada.headers, json={"granted": False})
    assert withdrawn.status_code == 200
    photo = save_photo(client, ada, jpeg(face_photos()["astronaut"]))
    assert (
        client.patch("/v1/me", headers=ada.headers, json={"sizes": {"shoes": "39"}, "locale": "en"}).status_code == 200
    )
    record_event(services.sessions, EventInput(type="like", product_id="FI-1", shopper_ref=ada.id), source="app")
    with transaction(services.sessions) as session:
        session.add(TasteSettings(shopper_id=ada.id, edits={"colors": ["navy"]}))
    upload = {"image": ("p.jpg", jpeg(face_photos()["astronaut"]))}
    searched = client.post("/v1/search", headers=ada.headers, files=upload)
    assert searched.status_code == 200 and searched.json()["garments"], searched.text

    response = client.get("/v1/me/export", headers=ada.headers)
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    document = json.loads(archive.read("shopper.json"))
    schema = json.loads(archive.read("schema.json"))
    assert schema == export_schema()
    jsonschema.validate(document, schema, format_checker=jsonschema.FormatChecker())

    # Given: the profile, the sign-in, every consent decision (with its policy version), the photo, the taste edits.
    profile = document["profile"]
    assert (profile["email"], profile["display_name"], profile["locale"]) == ("ada@example.org", "Ada", "en")
    assert profile["sizes"] == {"shoes": "39"} and profile["sign_in"] == [
        {"provider": "local", "subject": "ada@example.org"}
    ]
    decisions = [(c["purpose"], c["granted"]) for c in document["consents"]]
    assert decisions == [("photo_processing", True), ("personalisation", True), ("personalisation", False)]
    assert document["taste"]["edits"] == {"colors": ["navy"]}
    # Observed: the events.
    assert [(e["type"], e["product_id"]) for e in document["events"]] == [("like", "FI-1")]
    # The saved photo itself, as stored: face-blurred.
    [entry] = document["photos"]
    assert entry["id"] == photo["id"] and entry["faces_blurred"] == 1
    image = Image.open(io.BytesIO(archive.read(entry["file"])))
    assert image.size == (entry["width"], entry["height"])
    assert not [f for f in find_faces(image) if f.score >= 0.5]
    # Derived, in memory for a few minutes: what the search read of the photo searched (no pixel).
    [remembered] = document["recent_searches"]
    assert remembered["photo_id"] == searched.json()["photo_id"]
    assert [g["region"] for g in remembered["garments"]] == [g["region"] for g in searched.json()["garments"]]
    assert all(g["categories"] and g["colors"] for g in remembered["garments"])
    assert all(abs(sum(v * v for v in g["embedding"]) - 1) < 1e-3 for g in remembered["garments"])  # unit vectors
    assert set(document["areas"]) >= {"profile", "consents", "photos", "recent_searches", "events", "taste"}


def test_a_document_missing_a_required_part_is_refused_by_the_schema() -> None:
    document = {"format": "stylelens-shopper-export/1", "exported_at": "2026-11-24T00:00:00Z", "shopper_id": "x"}
    try:
        jsonschema.validate(document, export_schema())
    except jsonschema.ValidationError as exc:
        assert "required" in exc.message
    else:
        raise AssertionError("the schema accepted an export without profile, consents or photos")
