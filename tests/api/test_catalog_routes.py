"""Browsing the catalog, the probes, the OpenAPI document and the request logs."""

from __future__ import annotations

import json
import logging
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi.testclient import TestClient

from stylelens.catalog.demo import demo_products


def test_products_page_and_filters(client: TestClient) -> None:
    page = client.get("/v1/products", params={"limit": 7, "offset": 10}).json()
    assert page["count"] == 2400 and len(page["data"]) == 7
    shirts = client.get("/v1/products", params={"category": "shirt", "max_price": 50, "limit": 200}).json()
    assert 0 < shirts["count"] < 2400
    assert all(p["category"] == "shirt" and p["price"] <= 50 for p in shirts["data"])


def test_one_product_has_what_the_product_sheet_needs(client: TestClient) -> None:
    truth = next(demo_products(seed=7, count=1)).product
    product = client.get(f"/v1/products/{truth.product_id}", params={"lang": "en"}).json()
    assert product["title"] == truth.title_en and product["category"] == truth.category
    assert product["colors"] == list(truth.colors) and product["pattern"] == truth.pattern
    assert product["sizes"] == list(truth.sizes) and product["price"] == pytest.approx(truth.price)
    assert product["in_stock"] == any(q > 0 for q in truth.stock.values())
    link = urlsplit(product["product_url"])
    assert link.path.endswith(truth.product_id)
    assert ("utm_source", "stylelens") in parse_qsl(link.query)  # the shop can attribute the visit
    image = client.get(product["image_url"])
    assert image.status_code == 200 and image.content[:2] == b"\xff\xd8"


def test_unknown_product_is_a_404_problem(client: TestClient) -> None:
    response = client.get("/v1/products/NOPE-1")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/images/../stylelens.db").status_code == 404


def test_probes(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["models_loaded"] and ready.json()["database"] and ready.json()["catalog_items"] == 2400


def test_openapi_and_docs(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {"/v1/search", "/v1/products", "/v1/products/{product_id}"} <= set(spec["paths"])
    assert client.get("/docs").status_code == 200
    assert "StyleLens" in client.get("/").text


def test_request_logs_have_an_id_and_no_payload(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    from stylelens.observability import JsonFormatter

    with caplog.at_level(logging.INFO, logger="stylelens"):
        response = client.get("/v1/products", params={"limit": 1}, headers={"X-Request-ID": "abc123"})
    assert response.headers["x-request-id"] == "abc123"
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "stylelens.api"]
    assert any(line["request_id"] == "abc123" and line["status"] == 200 for line in lines)
    assert all("limit=1" not in json.dumps(line) for line in lines)  # query strings stay out of the logs
