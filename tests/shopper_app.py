"""A real StyleLens app in a temporary folder for the shopper/privacy tests, and helpers to act as a shopper."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from stylelens.api.app import create_app
from stylelens.config import Settings
from stylelens.services import Services

CLIENT_IP = "203.0.113.7"  # TEST-NET-3: the address the shopper's requests come from


@dataclass
class Shop:
    client: TestClient
    services: Services
    app: FastAPI


@dataclass
class ShopperLogin:
    id: str
    token: str
    email: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def open_shop(tmp_path: Path, make_settings: Callable[[Path], Settings], **changes: object) -> Iterator[Shop]:
    settings = make_settings(tmp_path)
    for dotted, value in changes.items():
        group, name = dotted.split("__")
        setattr(getattr(settings, group), name, value)
    services = Services(settings)
    app = create_app(settings, services)
    try:
        with TestClient(app, client=(CLIENT_IP, 50000)) as client:
            yield Shop(client, services, app)
    finally:
        if "engine" in vars(services):  # close pooled connections (PostgreSQL warns about open ones)
            services.engine.dispose()


def register(client: TestClient, email: str, name: str = "", password: str = "correct horse battery") -> ShopperLogin:
    response = client.post("/v1/auth/register", json={"email": email, "password": password, "display_name": name})
    assert response.status_code == 201, response.text
    body = response.json()
    return ShopperLogin(body["shopper_id"], body["token"], email.lower())


def grant(client: TestClient, who: ShopperLogin, *purposes: str) -> None:
    for purpose in purposes:
        response = client.put(f"/v1/me/consents/{purpose}", headers=who.headers, json={"granted": True})
        assert response.status_code == 200, response.text


def jpeg(image: Image.Image, exif: bytes | None = None) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=90, **({"exif": exif} if exif else {}))
    return buffer.getvalue()


def save_photo(client: TestClient, who: ShopperLogin, data: bytes) -> dict[str, object]:
    response = client.post("/v1/me/photos", headers=who.headers, files={"image": ("photo.jpg", data, "image/jpeg")})
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


@pytest.fixture
def shop(tmp_path: Path, make_settings: Callable[[Path], Settings]) -> Iterator[Shop]:
    yield from open_shop(tmp_path, make_settings)
