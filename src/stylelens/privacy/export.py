"""The shopper's data export (GDPR Art. 15 and 20): a ZIP with `shopper.json` (every registered area's data,
valid against `export_schema.json`, which is also in the ZIP) and the saved photos as JPEG files."""

from __future__ import annotations

import io
import json
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema

from stylelens.privacy.rights import registered_areas
from stylelens.storage.models import utcnow

if TYPE_CHECKING:
    from stylelens.services import Services

FORMAT = "stylelens-shopper-export/1"
SCHEMA_PATH = Path(__file__).with_name("export_schema.json")


@lru_cache(maxsize=1)
def export_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text())
    return schema


def shopper_document(services: Services, shopper_id: str) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Everything kept about the shopper, by area, and the files that go with it; validated before it leaves."""
    document: dict[str, Any] = {
        "format": FORMAT,
        "exported_at": utcnow().isoformat(),
        "shopper_id": shopper_id,
        "policy_version": services.settings.privacy.policy_version,
        "areas": {},
    }
    files: dict[str, bytes] = {}
    for area in registered_areas():
        part = area.export(services, shopper_id)
        document["areas"][area.name] = area.description
        document[area.name] = part.data
        files.update(part.files)
    jsonschema.validate(document, export_schema(), format_checker=jsonschema.FormatChecker())
    return document, files


def export_zip(services: Services, shopper_id: str) -> bytes:
    """The export as ZIP bytes."""
    document, files = shopper_document(services, shopper_id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("shopper.json", json.dumps(document, indent=2, ensure_ascii=False, default=str))
        archive.writestr("schema.json", SCHEMA_PATH.read_text())
        for path, data in sorted(files.items()):
            archive.writestr(path, data)
    return buffer.getvalue()
