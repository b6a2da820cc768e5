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


def device(client: TestClient, *granted: str) -> tuple[str, dict[str, str]]:
    """An anonymous device session with the given consents: (shopper id, auth headers)."""
    answer = client.post("/v1/auth/device")
    assert answer.status_code == 201, answer.text
    token = answer.json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    for purpose in granted:
        assert client.put(f"/v1/me/consents/{purpose}", headers=headers, json={"granted": True}).status_code == 200
    return client.get("/v1/me", headers=headers).json()["id"], headers


def test_app_events_are_accepted_once_in_the_shoppers_name(client: TestClient, services: Services) -> None:
    shopper_id, headers = device(client, "personalisation")
    event = {"type": "like", "event_id": "e-1", "product_id": "FI-1", "session_id": "s-1"}
    first = client.post("/v1/events", json=event, headers=headers)
    assert first.status_code == 202 and first.json() == {"event_id": "e-1", "duplicate": False, "recorded": True}
    assert client.post("/v1/events", json=event, headers=headers).json()["duplicate"] is True
    search = client.post("/v1/events", json={"type": "search", "details": {"query": "red dress"}}, headers=headers)
    assert search.status_code == 202
    with services.sessions() as session:
        rows = session.scalars(select(ShopperEvent).order_by(ShopperEvent.pk)).all()
    assert [(r.type, r.source) for r in rows] == [("like", "app"), ("search", "app")]
    assert {r.shopper_ref for r in rows} == {shopper_id}


def test_app_events_need_a_session_and_stay_in_the_callers_name(client: TestClient, services: Services) -> None:
    like = {"type": "like", "event_id": "e-2", "product_id": "FI-1"}
    assert client.post("/v1/events", json=like).status_code == 401
    _, mallory = device(client, "personalisation")
    victim_id, _ = device(client, "personalisation")
    forged = client.post("/v1/events", json={**like, "shopper_ref": victim_id}, headers=mallory)
    assert forged.status_code == 403
    with services.sessions() as session:
        assert session.scalars(select(ShopperEvent)).all() == []


def test_app_events_without_consent_are_not_recorded(client: TestClient, services: Services) -> None:
    _, headers = device(client)
    answer = client.post("/v1/events", json={"type": "like", "event_id": "e-3", "product_id": "FI-1"}, headers=headers)
    assert answer.status_code == 202 and answer.json()["recorded"] is False
    with services.sessions() as session:
        assert session.scalars(select(ShopperEvent)).all() == []


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
    _, headers = device(client, "analytics")
    response = client.post("/v1/events", json=event, headers=headers)
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
