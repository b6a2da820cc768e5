"""Product webhooks from the shop: signed like Shopify's, fresh, applied once per delivery id."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from shop_server import Shop, ShopServer
from sqlalchemy import select

from stylelens.api.app import create_app
from stylelens.auth.api_keys import create_key
from stylelens.config import IntegrationSettings, Settings
from stylelens.jobs.handlers import job_handlers
from stylelens.jobs.worker import Worker
from stylelens.services import Services
from stylelens.storage.integration_models import ProductVariant
from stylelens.storage.models import Product

SECRET = "shpss_test_secret"


@pytest.fixture
def services(tmp_path: Path, make_settings: Callable[[Path], Settings]) -> Services:
    settings = make_settings(tmp_path)
    settings.integration = IntegrationSettings(webhook_secrets={"shopify": SECRET})
    return Services(settings)


@pytest.fixture
def client(services: Services) -> TestClient:
    # No lifespan: these routes need the database only, not the vision models it warms up.
    return TestClient(create_app(services.settings, services))


@pytest.fixture
def shop() -> Iterator[ShopServer]:
    with ShopServer(Shop.generate(1)) as server:
        yield server


def product_json(image_url: str, price: str = "49.00") -> dict[str, object]:
    return {
        "id": 7001,
        "title": "Wool coat",
        "handle": "wool-coat",
        "vendor": "Nordvik",
        "product_type": "Coats",
        "options": [{"name": "Size"}],
        "images": [{"src": image_url}],
        "variants": [{"id": 1, "sku": "WC-S", "price": price, "option1": "S", "inventory_quantity": 2}],
    }


def post(
    client: TestClient,
    body: dict[str, object],
    *,
    topic: str = "products/create",
    delivery: str = "d-1",
    secret: str = SECRET,
    age: timedelta = timedelta(0),
    source: str = "shopify",
):  # type: ignore[no-untyped-def]
    raw = json.dumps(body).encode()
    signature = base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha256).digest()).decode()
    headers = {
        "X-Shopify-Hmac-Sha256": signature,
        "X-Shopify-Topic": topic,
        "X-Shopify-Webhook-Id": delivery,
        "X-Shopify-Triggered-At": (datetime.now(UTC) - age).isoformat(),
        "Content-Type": "application/json",
    }
    return client.post(f"/v1/catalog/webhooks/{source}", content=raw, headers=headers)


def run_jobs(services: Services) -> None:
    Worker(services.job_queue, job_handlers(services)).run(until_idle=True)


def test_signed_webhooks_create_update_and_delete_products_once_each(
    client: TestClient, services: Services, shop: ShopServer
) -> None:
    image = f"{shop.url}/images/FI-000000-v0.png"
    created = post(client, product_json(image))
    assert created.status_code == 202
    again = post(client, product_json(image))  # Shopify redelivers the same webhook
    assert again.status_code == 202 and again.json()["job_id"] == created.json()["job_id"]
    assert services.job_queue.pending() == 1
    run_jobs(services)
    with services.sessions() as session:
        row = session.scalar(select(Product).where(Product.product_id == "7001"))
        assert row is not None and row.category == "coat" and float(row.price) == 49.0
        assert [v.sku for v in session.scalars(select(ProductVariant))] == ["WC-S"]
        assert services.index.labels() == {row.pk}
    hits = shop.shop.image_hits["FI-000000"]

    assert post(client, product_json(image, price="39.00"), topic="products/update", delivery="d-2").status_code == 202
    run_jobs(services)
    with services.sessions() as session:
        assert float(session.scalar(select(Product.price).where(Product.product_id == "7001")) or 0) == 39.0
    assert shop.shop.image_hits["FI-000000"] == hits  # a price change does not fetch the image again

    assert post(client, {"id": 7001}, topic="products/delete", delivery="d-3").status_code == 202
    run_jobs(services)
    with services.sessions() as session:
        assert session.scalar(select(Product).where(Product.product_id == "7001")) is None
    assert services.index.labels() == set()


@pytest.mark.parametrize(
    ("kwargs", "status", "words"),
    [
        ({"secret": "wrong"}, 401, "signature"),
        ({"age": timedelta(minutes=10)}, 401, "older than"),
        ({"age": timedelta(minutes=-10)}, 401, "future"),
        ({"source": "woocommerce"}, 404, "no webhook source"),
        ({"topic": "orders/create"}, 422, "topic"),
    ],
)
def test_unsigned_stale_or_unknown_webhooks_are_refused(
    client: TestClient, services: Services, kwargs: dict[str, object], status: int, words: str
) -> None:
    response = post(client, product_json("https://cdn.example/x.jpg"), **kwargs)  # type: ignore[arg-type]
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    assert words in response.json()["detail"]
    assert services.job_queue.pending() == 0


def test_a_sync_request_needs_a_catalog_write_key(client: TestClient, services: Services) -> None:
    body = {"source": "https://shop.example/feed.xml"}
    assert client.post("/v1/catalog/syncs", json=body).status_code == 401
    events_only = create_key(services.sessions, "app", ["events:write"]).token
    assert client.post("/v1/catalog/syncs", json=body, headers={"X-API-Key": events_only}).status_code == 403
    catalog = create_key(services.sessions, "shop-backend", ["catalog:write"]).token
    response = client.post("/v1/catalog/syncs", json=body, headers={"X-API-Key": catalog})
    assert response.status_code == 202 and services.job_queue.pending() == 1
