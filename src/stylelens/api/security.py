"""HTTP hardening: per-client rate limits on search and sign-in, a request size limit, security headers and a
strict Content-Security-Policy for the shopper app (its inline script and style are allowed by hash only).

CORS stays in app.py: only the origins listed in `api.cors_origins` (a "*" is refused by the settings).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from stylelens.api.problems import MEDIA_TYPE
from stylelens.config import Settings
from stylelens.errors import RateLimited
from stylelens.services import Services

DOCS_PATHS = ("/docs", "/redoc")
PRIVATE_PREFIXES = ("/v1/me", "/v1/auth")
SIGN_IN_PATHS = frozenset({"/v1/auth/register", "/v1/auth/sign-in", "/v1/auth/oidc", "/v1/auth/device"})
_INLINE = {
    "script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S),
    "style": re.compile(r"<style[^>]*>(.*?)</style>", re.S),
}


def inline_hashes(html: str, tag: str) -> list[str]:
    """CSP source expressions ('sha256-...') for each inline <script> or <style> block of a page."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in _INLINE[tag].findall(html)
    ]


def app_csp(web_dir: Path) -> str:
    """The shopper app's policy: everything from our origin, inline code only by hash, no framing, no plugins."""
    index = web_dir / "index.html"
    html = index.read_text() if index.is_file() else ""
    scripts = " ".join(["'self'", *inline_hashes(html, "script")])
    styles = " ".join(["'self'", *inline_hashes(html, "style")])
    return (
        f"default-src 'self'; script-src {scripts}; style-src {styles}; img-src 'self' data: blob:; "
        "connect-src 'self'; font-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


# FastAPI's /docs page loads Swagger UI from jsDelivr and starts it with an inline script.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' https://cdn.jsdelivr.net 'unsafe-inline'; "
    "style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "object-src 'none'; frame-ancestors 'none'"
)


def install_security(app: FastAPI, settings: Settings, web_dir: Path) -> None:
    """Add the hardening middleware to the app."""
    csp = app_csp(web_dir)
    hsts = settings.public_url.startswith("https://")
    limits = settings.security

    @app.middleware("http")
    async def _harden(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        refused = _refuse(request, limits.max_body_bytes) or _limit(request, settings)
        response = refused or await call_next(request)
        headers = response.headers
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "no-referrer"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "camera=(self), microphone=(), geolocation=(), interest-cohort=()"
        headers["Content-Security-Policy"] = DOCS_CSP if request.url.path.startswith(DOCS_PATHS) else csp
        if hsts:
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if request.url.path.startswith(PRIVATE_PREFIXES):
            headers["Cache-Control"] = "no-store"
        return response


def _refuse(request: Request, max_body_bytes: int) -> Response | None:
    """A 413 before reading a body that announces itself as too large."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_body_bytes:
        return _problem(request, 413, "Request too large", f"the request body is over {max_body_bytes} bytes")
    return None


def _limit(request: Request, settings: Settings) -> Response | None:
    """Count search and sign-in requests per client; a 429 with Retry-After over the limit."""
    path, limits = request.url.path, settings.security
    if path.startswith("/v1/search"):
        bucket, limit = "search", limits.search_per_minute
    elif path in SIGN_IN_PATHS and request.method == "POST":
        bucket, limit = "sign-in", limits.sign_in_per_minute
    else:
        return None
    services: Services = request.app.state.services
    try:
        services.rate_limiter.hit(_client(request, services), bucket, limit)
    except RateLimited as exc:
        response = _problem(request, 429, exc.title, exc.detail)
        response.headers["Retry-After"] = "60"
        return response
    return None


def _client(request: Request, services: Services) -> str:
    """Who is asking: a pseudonym of their address (not their token: made-up tokens would dodge the limit)."""
    host = request.client.host if request.client else "unknown"
    return "ip:" + services.privacy.pseudonym(host, kind="ip")


def _problem(request: Request, status: int, title: str, detail: str) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "instance": request.url.path}
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)
