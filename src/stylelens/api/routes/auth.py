"""Sign-in: local accounts, OpenID Connect ID tokens, anonymous device sessions; sign-out."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Response, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field

from stylelens.api.deps import CurrentShopper, ServicesDep, bearer_scheme
from stylelens.api.schemas import Problem
from stylelens.auth.accounts import SignedIn

router = APIRouter(prefix="/auth", tags=["auth"])
ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": Problem, "content": {"application/problem+json": {}}} for code in (401, 403, 404, 422, 429)
}


class RegisterIn(BaseModel):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=10, max_length=256)
    display_name: str = Field(default="", max_length=120)
    locale: Literal["fr", "en"] = "fr"


class SignInIn(BaseModel):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=256)


class DeviceIn(BaseModel):
    locale: Literal["fr", "en"] = "fr"


class OidcIn(BaseModel):
    id_token: str = Field(min_length=10, max_length=16_384)


class SessionOut(BaseModel):
    """A bearer token for `Authorization: Bearer <token>`; shown once, never stored in clear by us."""

    token: str
    token_type: Literal["bearer"] = "bearer"
    shopper_id: str
    created: bool


def _out(signed: SignedIn) -> SessionOut:
    return SessionOut(token=signed.token, shopper_id=signed.shopper_id, created=signed.created)


@router.post("/register", response_model=SessionOut, status_code=201, responses=ERRORS)
async def register(body: RegisterIn, services: ServicesDep) -> SessionOut:
    """Create a local account (e-mail and password) and sign in."""
    signed = await run_in_threadpool(
        services.accounts.register, body.email, body.password, body.display_name, body.locale
    )
    return _out(signed)


@router.post("/sign-in", response_model=SessionOut, responses=ERRORS)
async def sign_in(body: SignInIn, services: ServicesDep) -> SessionOut:
    """Sign in to a local account."""
    return _out(await run_in_threadpool(services.accounts.sign_in, body.email, body.password))


@router.post("/oidc", response_model=SessionOut, responses=ERRORS)
async def sign_in_oidc(body: OidcIn, services: ServicesDep) -> SessionOut:
    """Sign in with an ID token from the shop's identity provider (created on first sign-in)."""
    return _out(await run_in_threadpool(services.accounts.sign_in_oidc, body.id_token))


@router.post("/device", response_model=SessionOut, status_code=201, responses=ERRORS)
async def device(services: ServicesDep, body: DeviceIn | None = None) -> SessionOut:
    """Start an anonymous session for this device: no name, no e-mail."""
    return _out(await run_in_threadpool(services.accounts.start_device, (body or DeviceIn()).locale))


@router.post("/sign-out", status_code=204, responses=ERRORS)
async def sign_out(
    shopper: CurrentShopper,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
) -> Response:
    """End this session (the token stops working)."""
    if credentials is not None:
        await run_in_threadpool(services.accounts.sign_out, credentials.credentials)
    return Response(status_code=204)
