"""Every /v1/me route: refused without a valid session, and one shopper never reaches another's data."""

from __future__ import annotations

import io
import zipfile

import pytest
from face_photos import face_photos
from shopper_app import Shop, ShopperLogin, grant, jpeg, register, save_photo

# Each /v1/me route (method, path) with a request that would touch data; test_every_me_route_is_covered keeps
# this table complete: a new /v1/me route without an authorisation test fails the suite.
ROUTES: dict[tuple[str, str], dict[str, object]] = {
    ("GET", "/v1/me"): {},
    ("PATCH", "/v1/me"): {"json": {"display_name": "Mallory"}},
    ("DELETE", "/v1/me"): {},
    ("GET", "/v1/me/export"): {},
    ("GET", "/v1/me/consents"): {},
    ("PUT", "/v1/me/consents/{purpose}"): {"json": {"granted": False}},
    ("GET", "/v1/me/photos"): {},
    ("POST", "/v1/me/photos"): {"files": {"image": ("p.jpg", b"\xff\xd8\xff not really", "image/jpeg")}},
    ("GET", "/v1/me/photos/{photo_id}"): {},
    ("DELETE", "/v1/me/photos/{photo_id}"): {},
    # Taste routes belong to recommendations (api/routes/recommend.py); the same guarantees are checked here.
    ("GET", "/v1/me/taste"): {},
    ("PATCH", "/v1/me/taste"): {"json": {"colors": ["red"], "sizes": ["XS"]}},
    ("DELETE", "/v1/me/taste"): {},
}
BAD_TOKENS = ["", "Bearer ", "Bearer sls_forged", "Basic YWRhOnB3", "Bearer a.b.c"]


@pytest.fixture
def two(shop: Shop) -> tuple[Shop, ShopperLogin, ShopperLogin, str]:
    ada = register(shop.client, "ada.quixote@example.org", "Ada Quixote")
    bob = register(shop.client, "bob@example.org", "Bob")
    grant(shop.client, ada, "photo_processing", "analytics")
    photo_id = str(save_photo(shop.client, ada, jpeg(face_photos()["grace_hopper"]))["id"])
    return shop, ada, bob, photo_id


def _path(template: str, photo_id: str) -> str:
    return template.replace("{purpose}", "analytics").replace("{photo_id}", photo_id)


def test_every_me_route_is_covered(shop: Shop) -> None:
    paths = shop.app.openapi()["paths"]
    routes = {(method.upper(), path) for path, ops in paths.items() if path.startswith("/v1/me") for method in ops}
    assert routes == set(ROUTES)


def test_every_me_route_refuses_a_missing_or_forged_session(two: tuple[Shop, ShopperLogin, ShopperLogin, str]) -> None:
    shop, ada, _, photo_id = two
    for (method, template), kwargs in ROUTES.items():
        for token in BAD_TOKENS:
            headers = {"Authorization": token} if token else {}
            response = shop.client.request(method, _path(template, photo_id), headers=headers, **kwargs)  # type: ignore[arg-type]
            assert response.status_code == 401, (method, template, token, response.status_code)
    # Ada's data is intact after all that.
    assert shop.client.get(f"/v1/me/photos/{photo_id}", headers=ada.headers).status_code == 200


def test_one_shopper_never_reaches_anothers_data(two: tuple[Shop, ShopperLogin, ShopperLogin, str]) -> None:
    shop, ada, bob, photo_id = two
    client = shop.client
    ada_before = client.get("/v1/me", headers=ada.headers).json()
    ada_consents = client.get("/v1/me/consents", headers=ada.headers).json()
    assert client.patch("/v1/me/taste", headers=ada.headers, json={"colors": ["navy"]}).status_code == 200
    ada_taste = client.get("/v1/me/taste", headers=ada.headers).json()
    for (method, template), kwargs in ROUTES.items():
        if (method, template) == ("DELETE", "/v1/me"):
            continue  # last: Bob erasing himself
        response = client.request(method, _path(template, photo_id), headers=bob.headers, **kwargs)  # type: ignore[arg-type]
        assert "quixote" not in response.text.lower() and ada.id not in response.text, (method, template)
        if template.endswith("{photo_id}"):
            assert response.status_code == 404, (method, template)  # Ada's photo does not exist for Bob
        if template == "/v1/me/export":
            names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
            assert not [n for n in names if photo_id in n]
    # Bob's own view is Bob's.
    assert client.get("/v1/me", headers=bob.headers).json()["display_name"] == "Mallory"
    assert client.get("/v1/me/photos", headers=bob.headers).json() == []
    # Bob erases his account: Ada keeps hers, with her profile, consents and photo unchanged.
    assert client.delete("/v1/me", headers=bob.headers).status_code == 200
    assert client.get("/v1/me", headers=ada.headers).json() == ada_before
    assert client.get("/v1/me/consents", headers=ada.headers).json() == ada_consents
    assert [p["id"] for p in client.get("/v1/me/photos", headers=ada.headers).json()] == [photo_id]
    assert client.get(f"/v1/me/photos/{photo_id}", headers=ada.headers).status_code == 200
    assert client.get("/v1/me/taste", headers=ada.headers).json() == ada_taste
