"""HTTP hardening: security headers, the app's strict CSP, CORS for configured origins only, size and rate limits."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from shopper_app import Shop, open_shop

from stylelens.api.app import WEB_DIR
from stylelens.config import Settings

SHOP_ORIGIN = "https://shop.fashion-insta.example"


@pytest.fixture
def hardened(tmp_path: Path, make_settings: Callable[[Path], Settings]) -> Iterator[Shop]:
    yield from open_shop(
        tmp_path,
        make_settings,
        api__cors_origins=[SHOP_ORIGIN],
        security__search_per_minute=3,
        security__max_body_bytes=64 * 1024,
    )


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_the_app_page_has_security_headers_and_a_strict_csp(hardened: Shop) -> None:
    response = hardened.client.get("/")
    assert response.status_code == 200
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    csp = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
    assert csp["default-src"] == "'self'" and csp["object-src"] == "'none'" and csp["frame-ancestors"] == "'none'"
    for directive in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in csp[directive] and "*" not in csp[directive] and "http" not in csp[directive]
    # The page's own inline script and style are allowed by their hash, so the app works under the policy.
    html = (WEB_DIR / "index.html").read_text()
    for body in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, re.S):
        assert _sha256(body) in csp["script-src"]
    for body in re.findall(r"<style[^>]*>(.*?)</style>", html, re.S):
        assert _sha256(body) in csp["style-src"]
    # Personal data is never cached by the browser or a proxy.
    assert hardened.client.post("/v1/auth/device").headers["Cache-Control"] == "no-store"


def test_cors_answers_the_shop_origin_only(hardened: Shop) -> None:
    preflight = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"}
    ok = hardened.client.options("/v1/me", headers={"Origin": SHOP_ORIGIN, **preflight})
    assert ok.headers.get("access-control-allow-origin") == SHOP_ORIGIN
    evil = hardened.client.options("/v1/me", headers={"Origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in evil.headers
    simple = hardened.client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers


def test_oversized_bodies_are_refused_before_they_are_read(hardened: Shop) -> None:
    big = b"\xff\xd8\xff" + b"0" * (128 * 1024)
    response = hardened.client.post("/v1/search", files={"image": ("big.jpg", big, "image/jpeg")})
    assert response.status_code == 413 and response.headers["content-type"] == "application/problem+json"


def test_search_is_rate_limited_per_client(hardened: Shop) -> None:
    codes = [
        hardened.client.post("/v1/search", files={"image": ("x.jpg", b"nope", "image/jpeg")}).status_code
        for _ in range(5)
    ]
    assert codes[:3] != [429] * 3 and codes[3:] == [429, 429]


def test_wildcard_cors_is_refused_by_the_settings() -> None:
    from pydantic import ValidationError

    from stylelens.config import ApiSettings

    with pytest.raises(ValidationError):
        ApiSettings(cors_origins=["*"])
