"""Local accounts (argon2), anonymous device sessions, sign-out and the sign-in rate limit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from shopper_app import Shop, open_shop, register
from sqlalchemy import select

from stylelens.auth.sessions import token_hash
from stylelens.config import Settings
from stylelens.storage.shopper_models import ShopperLogin, ShopperSession


def test_register_sign_in_and_sign_out(shop: Shop) -> None:
    client = shop.client
    ada = register(client, "Ada@Example.org", "Ada", password="a long passphrase")
    with shop.services.sessions() as session:
        login = session.scalar(select(ShopperLogin).where(ShopperLogin.shopper_id == ada.id))
        assert login is not None and login.password_hash.startswith("$argon2id$")
        assert "a long passphrase" not in login.password_hash
        # Only the token's hash is stored.
        assert session.get(ShopperSession, token_hash(ada.token)) is not None
        assert session.get(ShopperSession, ada.token) is None

    wrong = client.post("/v1/auth/sign-in", json={"email": "ada@example.org", "password": "not the passphrase"})
    unknown = client.post("/v1/auth/sign-in", json={"email": "nobody@example.org", "password": "a long passphrase"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]  # no hint whether the account exists
    again = client.post("/v1/auth/sign-in", json={"email": "ADA@example.org", "password": "a long passphrase"})
    assert again.status_code == 200 and again.json()["shopper_id"] == ada.id

    duplicate = client.post("/v1/auth/register", json={"email": "ada@example.org", "password": "another passphrase"})
    assert duplicate.status_code == 422
    short = client.post("/v1/auth/register", json={"email": "eve@example.org", "password": "short"})
    assert short.status_code == 422

    token = again.json()["token"]
    assert client.post("/v1/auth/sign-out", headers={"Authorization": f"Bearer {token}"}).status_code == 204
    assert client.get("/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert client.get("/v1/me", headers=ada.headers).status_code == 200  # the other session still works


def test_an_anonymous_device_session_holds_no_personal_details(shop: Shop) -> None:
    response = shop.client.post("/v1/auth/device", json={"locale": "en"})
    assert response.status_code == 201
    me = shop.client.get("/v1/me", headers={"Authorization": f"Bearer {response.json()['token']}"}).json()
    assert (me["kind"], me["email"], me["display_name"], me["locale"]) == ("device", "", "", "en")


def test_rectification_changes_the_sign_in_e_mail(shop: Shop) -> None:
    ada = register(shop.client, "ada@example.org")
    changed = shop.client.patch("/v1/me", headers=ada.headers, json={"email": "ada@new.example", "display_name": "A."})
    assert changed.status_code == 200 and changed.json()["email"] == "ada@new.example"
    old = shop.client.post("/v1/auth/sign-in", json={"email": "ada@example.org", "password": "correct horse battery"})
    new = shop.client.post("/v1/auth/sign-in", json={"email": "ada@new.example", "password": "correct horse battery"})
    assert (old.status_code, new.status_code) == (401, 200)
    bob = register(shop.client, "bob@example.org")
    taken = shop.client.patch("/v1/me", headers=bob.headers, json={"email": "ada@new.example"})
    assert taken.status_code == 422


def test_sign_in_is_rate_limited_per_client(tmp_path: Path, make_settings: Callable[[Path], Settings]) -> None:
    for shop in open_shop(tmp_path, make_settings, security__sign_in_per_minute=5):
        attempts = [
            shop.client.post("/v1/auth/sign-in", json={"email": "ada@example.org", "password": f"guess {i}"})
            for i in range(8)
        ]
        codes = [r.status_code for r in attempts]
        assert codes == [401] * 5 + [429] * 3
        assert attempts[-1].headers["Retry-After"] == "60"
        # Another client (another address) is not affected.
        with TestClient(shop.app, client=("198.51.100.9", 40000)) as other:
            response = other.post("/v1/auth/sign-in", json={"email": "ada@example.org", "password": "guess"})
            assert response.status_code == 401
