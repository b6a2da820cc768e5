"""The same shopper journey on both backend sets: the embedded defaults (SQLite, local folder, HNSW in process,
database queue) and the Azure-like set (PostgreSQL + pgvector, Azure Blob Storage and Storage Queue on Azurite).

Journey today: load a catalog -> a shopper's photo finds the product -> filters hold -> its image is served from
the blob store -> a product leaves the catalog and is no longer found -> a fresh API process over the same storage
(another replica) answers the same. Steps still to come, each a function below once its feature lands:
sync a feed (catalog/sync + the database queue), export and erase a shopper's data (/v1/me).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cloud_servers import Azurite
from fastapi.testclient import TestClient
from PIL import Image
from shopper_photos import rephotograph
from sqlalchemy import delete, select

from stylelens.api.app import create_app
from stylelens.catalog.demo_feed import demo_catalog_items
from stylelens.config import AzureSettings, Settings
from stylelens.index.pgvector import PgVectorIndex
from stylelens.services import Services
from stylelens.storage.azure_blobs import AzureBlobStore
from stylelens.storage.db import transaction
from stylelens.storage.models import Product

CATALOG = 60  # products: small enough to analyse in a few seconds, large enough for every category


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


def load_catalog(services: Services) -> list[str]:
    """Today: the demo catalog through the CatalogIngestor. To come: a feed through CatalogSync and the job queue."""
    report = services.ingestor.ingest(demo_catalog_items(7, CATALOG, services.settings.catalog.shop_url))
    assert report.added == CATALOG and not report.failed
    with services.sessions() as session:
        return list(session.scalars(select(Product.product_id).order_by(Product.pk)))


def photo_of(services: Services, product_id: str) -> bytes:
    image = Image.open(io.BytesIO(services.blobs.get(f"products/{product_id}.jpg"))).convert("RGB")
    return rephotograph(image, angle=8, quality=75)


def remove_product(services: Services, product_id: str) -> None:
    """What a feed sync does for a product the shop stopped selling (until sync runs here end to end)."""
    with transaction(services.sessions) as session:
        pk = session.scalar(select(Product.pk).where(Product.product_id == product_id))
        assert pk is not None
        session.execute(delete(Product).where(Product.pk == pk))
    services.index.delete([pk])
    services.index.save()


def test_shopper_journey(services: Services, settings: Settings) -> None:
    product_ids = load_catalog(services)
    wanted, gone = product_ids[3], product_ids[11]
    photo, gone_photo = photo_of(services, wanted), photo_of(services, gone)
    with TestClient(create_app(settings, services)) as client:
        ready = client.get("/readyz").json()
        assert ready["status"] == "ready" and ready["catalog_items"] == CATALOG

        results = find(client, photo, limit=5)
        assert results[0]["product_id"] == wanted
        category = client.get(f"/v1/products/{wanted}").json()["category"]
        cheap = float(str(results[0]["price"])) + 0.01
        filtered = find(client, photo, limit=10, category=category, max_price=cheap)
        assert filtered and filtered[0]["product_id"] == wanted
        assert all(float(str(r["price"])) <= cheap for r in filtered)
        details = [client.get(f"/v1/products/{r['product_id']}").json() for r in filtered]
        assert all(d["category"] == category for d in details)

        image = client.get(str(results[0]["image_url"]))
        assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
        assert image.content == services.blobs.get(f"products/{wanted}.jpg")

        remove_product(services, gone)
        assert gone not in {r["product_id"] for r in find(client, gone_photo, limit=10)}
        assert client.get(f"/v1/products/{gone}").status_code == 404

    # Another replica (a new process over the same database, blobs and index) sees the same catalog.
    replica = Services(settings)
    try:
        with TestClient(create_app(settings, replica)) as client:
            assert client.get("/readyz").json()["catalog_items"] == CATALOG - 1
            assert find(client, photo, limit=1)[0]["product_id"] == wanted
    finally:
        _close(replica)


def test_the_azure_set_really_uses_azure_services(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Guard against a silent fallback: with the Azure settings, nothing lands on the local disk."""
    services = Services(azure_settings(request, tmp_path))
    try:
        assert isinstance(services.blobs, AzureBlobStore) and isinstance(services.index, PgVectorIndex)
        assert services.engine.dialect.name == "postgresql"
        load_catalog(services)
        assert len(services.blobs.keys("products/")) == CATALOG and len(services.index) == CATALOG
        assert not (tmp_path / "blobs").exists() and not (tmp_path / "index").exists()
        assert not (tmp_path / "stylelens.db").exists()
    finally:
        _close(services)
