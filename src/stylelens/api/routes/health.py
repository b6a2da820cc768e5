"""Liveness and readiness probes for the platform (Container Apps, load balancers, `make demo`)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from stylelens.api.deps import ServicesDep
from stylelens.api.schemas import Health, Readiness
from stylelens.storage.db import is_reachable

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is up."""
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
def readyz(services: ServicesDep) -> JSONResponse:
    """Models loaded and the database reachable: ready to search."""
    models = services.embedder.loaded
    database = is_reachable(services.engine)
    ready = models and database
    body = Readiness(
        status="ready" if ready else "not ready",
        models_loaded=models,
        database=database,
        catalog_items=len(services.index),
    )
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)
