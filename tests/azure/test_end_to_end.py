"""The same journey on both backend sets: the embedded defaults (SQLite, local folder, HNSW in process, database
queue) and the Azure-like set (PostgreSQL + pgvector, Azure Blob Storage and Storage Queue on Azurite).

Sync the shop's feed (a loopback HTTP shop) through the job queue and a worker -> a shopper's photo finds the
product, filters hold, its image is served from the blob store -> a shopper registers, saves a photo, exports
their data, erases their account (nothing of theirs is left in the database or the blob store) -> the shop drops
a product and the next sync removes it from search -> another replica over the same storage answers the same.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from cloud_servers import Azurite
from fastapi.testclient import TestClient
from PIL import Image
from shop_server import Shop, ShopServer, assert_catalog_matches
from shopper_app import CLIENT_IP, grant, jpeg, register, save_photo
from shopper_photos import rephotograph
from sqlalchemy import inspect, select, text

from stylelens.api.app import create_app
from stylelens.catalog.demo_feed import demo_catalog_items
from stylelens.config import AzureSettings, Settings
from stylelens.index.pgvector import PgVectorIndex
from stylelens.index.rebuild import rebuild_index
from stylelens.jobs.azure_queue import AzureJobQueue
from stylelens.jobs.handlers import SYNC_KIND, job_handlers
from stylelens.jobs.worker import Worker
from stylelens.services import Services
from stylelens.storage.azure_blobs import AzureBlobStore
from stylelens.storage.models import Product, ProductEmbedding

SHOP = 30  # products in the shop's feed (two sizes each)


def embedded_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    make_settings: Callable[[Path], Settings] = request.getfixturevalue("make_settings")
    return make_settings(tmp_path)


def azure_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    azurite: Azurite = request.getfixturevalue("azurite")
    name: str = request.getfixturevalue("unique_name")
    settings = embedded_settings(request, tmp_path)
    return settings.model_copy(
        update={
            "storage": settings.storage.model_copy(
                update={"database_url": request.getfixturevalue("database_url"), "blob_backend": "azure"}
            ),
            "index": settings.index.model_copy(update={"backend": "pgvector"}),
            "jobs": settings.jobs.model_copy(update={"backend": "azure"}),
            "azure": AzureSettings(
                storage_connection_string=azurite.connection_string, blob_container=name, jobs_queue=name
            ),
        }
    )


BACKEND_SETS = {"embedded": embedded_settings, "azure": azure_settings}


@pytest.fixture(params=list(BACKEND_SETS))
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    return BACKEND_SETS[request.param](request, tmp_path)


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    services = Services(settings)
    yield services
    _close(services)


def _close(services: Services) -> None:
    if isinstance(services.__dict__.get("index"), PgVectorIndex):
        services.index.close()  # type: ignore[attr-defined]
    services.__dict__.get("engine") and services.engine.dispose()


def find(client: TestClient, photo: bytes, **fields: object) -> list[dict[str, object]]:
    response = client.post("/v1/search", files={"image": ("photo.jpg", photo, "image/jpeg")}, data=fields)
    assert response.status_code == 200, response.text
    results: list[dict[str, object]] = response.json()["results"]
    return results


def sync_through_the_queue(services: Services, feed_url: str) -> None:
    """What the API or the scheduler does (queue a sync job) and what a worker replica does (run it)."""
    services.job_queue.enqueue(SYNC_KIND, {"source": feed_url})
    assert services.job_queue.pending() == 1
    done = Worker(services.job_queue, job_handlers(services), lease_s=30, name="e2e-worker").run(until_idle=True)
    assert done == 1 and services.job_queue.pending() == 0


def photo_of(services: Services, product_id: str) -> bytes:
    image = Image.open(io.BytesIO(services.blobs.get(f"products/{product_id}.jpg"))).convert("RGB")
    return rephotograph(image, angle=8, quality=75)


def database_text(services: Services) -> str:
    engine = services.engine
    rows = []
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            rows += [f"{table}: {tuple(r)}" for r in connection.execute(text(f'SELECT * FROM "{table}"'))]
    return "\n".join(rows)


def test_the_whole_journey(services: Services, settings: Settings) -> None:
    shop = Shop.generate(SHOP)
    with ShopServer(shop) as server, TestClient(create_app(settings, services), client=(CLIENT_IP, 50000)) as client:
        # 1. Sync the shop's feed, through the queue and a worker.
        sync_through_the_queue(services, f"{server.url}/feed.xml")
        assert_catalog_matches(services, shop)
        ready = client.get("/readyz").json()
        assert ready["status"] == "ready" and ready["catalog_items"] == SHOP

        # 2. Search: a shopper's photo of a product finds it; filters hold; its image comes from the blob store.
        wanted = "FI-000004"
        photo = photo_of(services, wanted)
        results = find(client, photo, limit=5)
        assert results[0]["product_id"] == wanted
        category = client.get(f"/v1/products/{wanted}").json()["category"]
        ceiling = float(str(results[0]["price"])) + 0.01
        filtered = find(client, photo, limit=10, category=category, max_price=ceiling)
        assert filtered[0]["product_id"] == wanted and all(float(str(r["price"])) <= ceiling for r in filtered)
        image = client.get(str(results[0]["image_url"]))
        assert image.status_code == 200 and image.content == services.blobs.get(f"products/{wanted}.jpg")

        # 3. A shopper saves a photo, exports their data, then erases their account.
        catalog_blobs = set(services.blobs.keys())
        ada = register(client, "ada@example.org", "Ada")
        grant(client, ada, "photo_processing")
        saved = save_photo(client, ada, jpeg(Image.open(io.BytesIO(photo))))
        assert set(services.blobs.keys()) > catalog_blobs  # the photo is in this backend's blob store
        export = client.get("/v1/me/export", headers=ada.headers)
        assert export.status_code == 200 and export.headers["content-type"] == "application/zip"
        archive = zipfile.ZipFile(io.BytesIO(export.content))
        assert json.loads(archive.read("shopper.json"))  # the account, as the shopper gave it
        assert any(str(saved["id"]) in name for name in archive.namelist())  # and the saved photo
        erased = client.delete("/v1/me", headers=ada.headers)
        assert erased.status_code == 200 and erased.json()["status"] == "done", erased.text
        assert client.get("/v1/me", headers=ada.headers).status_code == 401
        assert set(services.blobs.keys()) == catalog_blobs
        leftovers = database_text(services)
        assert ada.id not in leftovers and ada.email not in leftovers and str(saved["id"]) not in leftovers

        # 4. The shop stops selling a product: the next sync removes it from search.
        gone = "FI-000011"
        gone_photo = photo_of(services, gone)
        del shop.products[gone]
        sync_through_the_queue(services, f"{server.url}/feed.xml")
        assert_catalog_matches(services, shop)
        assert gone not in {r["product_id"] for r in find(client, gone_photo, limit=10)}
        assert client.get(f"/v1/products/{gone}").status_code == 404

    # 5. Another replica (a new process over the same database, blobs and index) sees the same catalog.
    replica = Services(settings)
    try:
        with TestClient(create_app(settings, replica), client=(CLIENT_IP, 50001)) as client:
            assert client.get("/readyz").json()["catalog_items"] == SHOP - 1
            assert find(client, photo, limit=1)[0]["product_id"] == wanted
    finally:
        _close(replica)


def _first_vector(services: Services) -> np.ndarray:
    with services.sessions() as session:
        embedding = session.scalars(select(ProductEmbedding).order_by(ProductEmbedding.product_pk)).first()
        assert embedding is not None
        return np.frombuffer(embedding.vector, dtype=np.float32)


def test_the_azure_set_really_uses_azure_services(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Guard against a silent fallback: with the Azure settings, nothing lands on the local disk."""
    services = Services(azure_settings(request, tmp_path))
    try:
        assert isinstance(services.blobs, AzureBlobStore) and isinstance(services.index, PgVectorIndex)
        assert isinstance(services.job_queue, AzureJobQueue)
        assert services.engine.dialect.name == "postgresql"
        services.ingestor.ingest(demo_catalog_items(7, 12, services.settings.catalog.shop_url))
        assert len(services.blobs.keys("products/")) == 12 and len(services.index) == 12
        with services.sessions() as session:
            assert len(session.scalars(select(Product.pk)).all()) == 12
        before = services.index.search(_first_vector(services), 3)
        assert rebuild_index(services.sessions, services.index) == 12  # `stylelens index rebuild` on pgvector
        assert services.index.search(_first_vector(services), 3) == before
        assert not (tmp_path / "blobs").exists() and not (tmp_path / "index").exists()
        assert not (tmp_path / "stylelens.db").exists()
    finally:
        _close(services)
