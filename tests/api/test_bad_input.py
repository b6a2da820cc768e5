"""Bad uploads get a clear 4xx problem+json, and the service keeps answering."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from shopper_photos import jpeg_bytes, png_header_only


def good_photo() -> bytes:
    return jpeg_bytes(Image.new("RGB", (300, 300), (240, 240, 240)))


def truncated_jpeg() -> bytes:
    image = Image.effect_noise((400, 400), 60).convert("RGB")
    return jpeg_bytes(image)[:3000]


CASES = {
    "empty upload": (b"", 400),
    "truncated JPEG": (truncated_jpeg(), None),
    "text file named .jpg": (b"just some words, not a photo\n" * 20, 415),
    "20000x20000 PNG (decompression bomb)": (png_header_only(20000, 20000), 413),
    "zero-size image": (png_header_only(0, 0), None),
}


@pytest.mark.parametrize("name", CASES)
def test_bad_upload_is_a_clear_problem(client: TestClient, name: str) -> None:
    data, status = CASES[name]
    response = client.post("/v1/search", files={"image": ("photo.jpg", data, "image/jpeg")})
    assert 400 <= response.status_code < 500, response.text
    if status:
        assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == response.status_code and problem["title"] and problem["detail"]
    assert client.get("/healthz").status_code == 200


def test_wrong_field_name(client: TestClient) -> None:
    response = client.post("/v1/search", files={"picture": ("photo.jpg", good_photo(), "image/jpeg")})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "image" in response.json()["detail"]


def test_no_body_and_bad_fields(client: TestClient) -> None:
    assert client.post("/v1/search").status_code == 422
    photo = {"image": ("photo.jpg", good_photo(), "image/jpeg")}
    assert client.post("/v1/search", files=photo, data={"limit": "0"}).status_code == 422
    assert client.post("/v1/search", files=photo, data={"max_price": "-3"}).status_code == 422
    response = client.post("/v1/search", files=photo, data={"color": "chartreuse"})
    assert response.status_code == 422 and "navy" in response.json()["detail"]


def test_over_the_byte_limit(client: TestClient) -> None:
    big = io.BytesIO()
    Image.effect_noise((3000, 3000), 120).convert("RGB").save(big, format="PNG")
    limit = client.app.state.services.settings.vision.max_bytes  # type: ignore[attr-defined]
    padded = big.getvalue() + b"\0" * max(0, limit + 10 - len(big.getvalue()))
    response = client.post("/v1/search", files={"image": ("big.png", padded, "image/png")})
    assert response.status_code == 413


def test_service_still_searches_after_bad_input(client: TestClient) -> None:
    response = client.post("/v1/search", files={"image": ("photo.jpg", good_photo(), "image/jpeg")})
    assert response.status_code == 200
