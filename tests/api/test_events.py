"""POST /v1/events: the app's events without a key, purchases only with an events:write API key."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from stylelens.api.app import create_app
from stylelens.auth.api_keys import create_key, list_keys, rotate_key
from stylelens.config import Settings
from stylelens.services import Services
from stylelens.storage.integration_models import ApiKey, ShopperEvent

PURCHASE = {"type": "purchase", "event_id": "p-1", "product_id": "FI-1", "details": {"order_id": "1001"}}


@pytest.fixture
def services(tmp_path: Path, make_settings: Callable[[Path], Settings]) -> Services:
    return Services(make_settings(tmp_path))


@pytest.fixture
def client(services: Services) -> TestClient:
    # No lifespan: these routes need the database only, not the vision models it warms up.
    return TestClient(create_app(services.settings, services))


def test_app_events_are_accepted_once(client: TestClient, services: Services) -> None:
    event = {"type": "like", "event_id": "e-1", "product_id": "FI-1", "session_id": "s-1"}
    first = client.post("/v1/events", json=event)
    assert first.status_code == 202 and first.json() == {"event_id": "e-1", "duplicate": False}
    assert client.post("/v1/events", json=event).json()["duplicate"] is True
    search = client.post("/v1/events", json={"type": "search", "details": {"query": "red dress"}})
    assert search.status_code == 202
    with services.sessions() as session:
        rows = session.scalars(select(ShopperEvent).order_by(ShopperEvent.pk)).all()
    assert [(r.type, r.source) for r in rows] == [("like", "app"), ("search", "app")]


@pytest.mark.parametrize(
    ("event", "words"),
    [
        ({"type": "bookmark"}, "type"),
        ({"type": "view"}, "product_id"),
        ({"type": "view", "product_id": "FI 1; drop"}, "product_id"),
        ({"type": "search", "details": {"q": "x" * 5000}}, "4 KB"),
    ],
)
def test_malformed_events_are_refused(client: TestClient, event: dict[str, object], words: str) -> None:
    response = client.post("/v1/events", json=event)
    assert response.status_code == 422 and words in response.json()["detail"]


def test_purchases_need_an_events_write_key(client: TestClient, services: Services) -> None:
    assert client.post("/v1/events", json=PURCHASE).status_code == 401
    catalog_only = create_key(services.sessions, "catalog-bot", ["catalog:write"]).token
    assert client.post("/v1/events", json=PURCHASE, headers={"X-API-Key": catalog_only}).status_code == 403
    forged = "_".join(catalog_only.split("_", 2)[:2]) + "_forged"
    assert client.post("/v1/events", json=PURCHASE, headers={"X-API-Key": forged}).status_code == 401
    key = create_key(services.sessions, "shop-orders", ["events:write"]).token
    response = client.post("/v1/events", json=PURCHASE, headers={"X-API-Key": key})
    assert response.status_code == 202
    with services.sessions() as session:
        assert session.scalar(select(ShopperEvent.source).where(ShopperEvent.event_id == "p-1")) == "shop"


def test_keys_are_stored_hashed_and_rotate_with_a_grace_period(client: TestClient, services: Services) -> None:
    issued = create_key(services.sessions, "shop-orders", ["events:write"])
    with services.sessions() as session:
        stored = session.get(ApiKey, issued.key_id)
    assert stored is not None and issued.token.split("_", 2)[2] not in stored.secret_hash
    graceful = rotate_key(services.sessions, issued.key_id, grace=timedelta(hours=1))
    for token in (issued.token, graceful.token):  # both work during the grace period
        event = {**PURCHASE, "event_id": token[-8:].replace("_", "x")}
        assert client.post("/v1/events", json=event, headers={"X-API-Key": token}).status_code == 202
    newest = rotate_key(services.sessions, graceful.key_id, grace=timedelta(0))
    refused = client.post("/v1/events", json=PURCHASE, headers={"X-API-Key": graceful.token})
    assert refused.status_code == 401 and "rotated" in refused.json()["detail"]
    assert client.post("/v1/events", json=PURCHASE, headers={"X-API-Key": newest.token}).status_code == 202
    assert [k.replaced_by for k in list_keys(services.sessions)] == [graceful.key_id, newest.key_id, ""]
