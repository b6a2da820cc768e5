"""The StyleLens HTTP service: the /v1 API, the probes and the shopper app, in one FastAPI application."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from stylelens import __version__
from stylelens.api.problems import install_problem_handlers
from stylelens.api.routes import auth as auth_routes
from stylelens.api.routes import events as event_routes
from stylelens.api.routes import health, me, products, search
from stylelens.api.routes import recommend as recommend_routes
from stylelens.api.routes import webhooks as webhook_routes
from stylelens.api.security import install_security
from stylelens.config import Settings, get_settings
from stylelens.observability import request_id
from stylelens.services import Services
from stylelens.telemetry import install_telemetry

log = logging.getLogger("stylelens.api")
WEB_DIR = Path(__file__).resolve().parent.parent / "web"


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """Build the application; long-lived services are opened by the lifespan and kept on app.state."""
    settings = settings or get_settings()
    services = services or Services(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.services = services
        await run_in_threadpool(_warm_up, services)
        yield

    app = FastAPI(
        title="StyleLens",
        version=__version__,
        description="Photograph a garment, find similar items in Fashion-Insta's catalog.",
        lifespan=lifespan,
    )
    app.state.services = services
    install_problem_handlers(app)
    install_security(app, settings, WEB_DIR)
    app.middleware("http")(_request_context)
    install_telemetry(app, settings.telemetry)
    if settings.api.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.api.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
        )
    app.include_router(health.router)
    app.include_router(search.router, prefix="/v1")
    app.include_router(products.router, prefix="/v1")
    app.include_router(auth_routes.router, prefix="/v1")
    app.include_router(me.router, prefix="/v1")
    app.include_router(event_routes.router, prefix="/v1")
    app.include_router(webhook_routes.router, prefix="/v1")
    app.include_router(recommend_routes.router, prefix="/v1")
    app.mount("/", StaticFiles(directory=WEB_DIR, html=True), name="web")
    return app


def _warm_up(services: Services) -> None:
    """Open the database (running migrations), the index and the models before the first request."""
    _ = services.engine
    services.embedder.load()
    services.analyser.load()
    services.check_embedder()  # a catalog embedded by another embedder (head) cannot be searched
    log.info("ready", extra={"catalog_items": len(services.index)})


async def _request_context(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Give each request an id (kept from X-Request-ID when sane) and log its outcome, without any payload."""
    incoming = request.headers.get("x-request-id", "")
    rid = incoming if incoming.isalnum() and len(incoming) <= 64 else uuid.uuid4().hex
    token = request_id.set(rid)
    started = time.perf_counter()
    try:
        response = await call_next(request)
    finally:
        request_id.reset(token)
    response.headers["X-Request-ID"] = rid
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    log.info(
        "request",
        extra={
            "request_id": rid,
            "method": request.method,
            "path": request.url.path,
            "status": response.status_code,
            "ms": elapsed_ms,
        },
    )
    return response
