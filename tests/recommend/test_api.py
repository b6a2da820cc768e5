"""The recommendation API as a shopper's app uses it: feed, similar, complete the look, refine, taste."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from stylelens.api.app import create_app
from stylelens.services import Services


@pytest.fixture(scope="module")
def client(small_services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(small_services.settings, small_services)) as test_client:
        yield test_client


def _shopper(client: TestClient, consent: bool) -> dict[str, str]:
    token = client.post("/v1/auth/device", json={}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    r = client.put("/v1/me/consents/personalisation", json={"granted": consent}, headers=headers)
    assert r.status_code == 200, r.text
    return headers


def test_similar_items_are_explained_and_respect_the_size(client: TestClient) -> None:
    r = client.get("/v1/products/FI-000007/similar", params={"limit": 15, "size": "M", "lang": "en"})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert results and all(x["reasons"] for x in results)
    assert "FI-000007" not in [x["product_id"] for x in results]
    details = [client.get(f"/v1/products/{x['product_id']}").json() for x in results]
    fits = [d["stock"].get("M", 1 if d["in_stock"] else 0) > 0 for d in details]
    assert fits == sorted(fits, reverse=True), "in stock in M first"


def test_complete_the_look_offers_other_kinds(client: TestClient) -> None:
    item = client.get("/v1/products/FI-000004").json()  # a dress in the demo order
    r = client.get("/v1/products/FI-000004/complete-the-look", params={"limit": 6})
    results = r.json()["results"]
    assert results and all(x["category"] != item["category"] for x in results)
    assert all(x["reasons"][0].startswith("Goes with") for x in results)


def test_like_this_but_cheaper_and_another_colour(client: TestClient) -> None:
    shirts = client.get("/v1/products", params={"category": "shirt", "limit": 200}).json()["data"]
    item = max(shirts, key=lambda p: p["price"])
    pid = item["product_id"]
    cheaper = client.post("/v1/search/refine", json={"product_id": pid, "change": "cheaper"}).json()
    assert cheaper["results"] and all(x["price"] < item["price"] for x in cheaper["results"])
    assert all(x["category"] == "shirt" for x in cheaper["results"])
    other = client.post("/v1/search/refine", json={"product_id": pid, "change": "another_colour"}).json()
    assert other["results"] and all(item["colors"][0] not in x["colors"] for x in other["results"])
    bad = client.post("/v1/search/refine", json={"product_id": pid, "change": "sparklier"})
    assert bad.status_code == 422


def test_taste_is_shown_in_words_editable_and_resettable(client: TestClient) -> None:
    headers = _shopper(client, consent=True)
    edits = {"colors": ["navy"], "categories": ["shirt"], "max_price": 60, "sizes": ["M"]}
    r = client.patch("/v1/me/taste", json=edits, headers=headers)
    assert r.status_code == 200, r.text
    taste = r.json()
    assert taste["personalised"] and taste["description"].startswith("you like: navy")
    assert (
        "shirt" in taste["description"] and "under 60 EUR" in taste["description"] and "size M" in taste["description"]
    )
    feed = client.get("/v1/for-you", params={"limit": 8}, headers=headers).json()
    assert feed["personalised"] and any("In a colour you like: navy" in x["reasons"] for x in feed["results"])
    assert client.delete("/v1/me/taste", headers=headers).status_code == 204
    assert client.get("/v1/me/taste", headers=headers).json()["edits"]["colors"] == []


def test_without_consent_the_feed_is_the_anonymous_one(client: TestClient) -> None:
    headers = _shopper(client, consent=False)
    client.patch("/v1/me/taste", json={"colors": ["red"]}, headers=headers)
    mine = client.get("/v1/for-you", params={"limit": 10}, headers=headers).json()
    anonymous = client.get("/v1/for-you", params={"limit": 10}).json()
    assert not mine["personalised"] and mine == anonymous
    assert client.get("/v1/me/taste", headers=headers).json()["personalised"] is False


def test_a_photo_and_words_together_and_the_size_rule_in_photo_search(client: TestClient) -> None:
    """The shopper sends a product photo with "red" and their size: results match and fit in stock first."""
    item = client.get("/v1/products/FI-000004").json()
    photo = client.get(item["image_url"]).content
    form = {"limit": "12", "text": "red", "size": "M", "lang": "en"}
    r = client.post("/v1/search", files={"image": ("p.jpg", photo, "image/jpeg")}, data=form)
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert results and all(x["reasons"] for x in results)
    details = [client.get(f"/v1/products/{x['product_id']}").json() for x in results]
    fits = [d["stock"].get("M", 1 if d["in_stock"] else 0) > 0 for d in details]
    assert fits == sorted(fits, reverse=True), "in stock in M first"
    assert any("Matches your words" in " ".join(x["reasons"]) for x in results)


def test_like_this_but_longer_and_shorter(client: TestClient) -> None:
    tees = client.get("/v1/products", params={"category": "t-shirt", "limit": 1}).json()["data"]
    longer = client.post("/v1/search/refine", json={"product_id": tees[0]["product_id"], "change": "longer"}).json()
    assert longer["results"] and {x["category"] for x in longer["results"]} <= {"shirt", "sweater", "dress", "coat"}
    boots = client.get("/v1/products", params={"category": "boots", "limit": 1}).json()["data"]
    shorter = client.post("/v1/search/refine", json={"product_id": boots[0]["product_id"], "change": "shorter"}).json()
    assert shorter["results"] and {x["category"] for x in shorter["results"]} <= {"sandals", "sneakers"}
    bags = client.get("/v1/products", params={"category": "bag", "limit": 1}).json()["data"]
    r = client.post("/v1/search/refine", json={"product_id": bags[0]["product_id"], "change": "longer"})
    assert r.status_code == 422 and "no longer or shorter" in r.json()["detail"]
