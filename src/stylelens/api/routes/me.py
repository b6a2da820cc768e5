"""The shopper's own data and rights: profile (access, rectification, objection to profiling), consents,
saved photos, export (a ZIP) and erasure. Every route acts on the signed-in shopper only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Path, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from stylelens.api.deps import CurrentShopper, ServicesDep
from stylelens.api.schemas import Problem
from stylelens.errors import ImageTooLarge
from stylelens.privacy.consent import POLICY_TEXT, PURPOSES
from stylelens.privacy.erasure import erase_shopper
from stylelens.privacy.export import export_zip
from stylelens.storage.db import transaction
from stylelens.storage.shopper_models import SavedPhoto, Shopper

router = APIRouter(prefix="/me", tags=["me"])
ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": Problem, "content": {"application/problem+json": {}}}
    for code in (400, 401, 403, 404, 413, 415, 422)
}
PhotoId = Annotated[str, Path(pattern=r"^[0-9a-f-]{36}$")]
PurposeName = Literal["photo_processing", "personalisation", "analytics"]


class ShopperOut(BaseModel):
    id: str
    kind: str
    display_name: str
    email: str
    locale: str
    sizes: dict[str, str]
    profiling_objection: bool = Field(description="True: no taste profile is built or used (GDPR Art. 21)")
    created_at: datetime


class ShopperUpdate(BaseModel):
    """Rectification: only the fields sent are changed."""

    display_name: str | None = Field(default=None, max_length=120)
    email: str | None = Field(default=None, max_length=320)
    locale: Literal["fr", "en"] | None = None
    sizes: dict[Annotated[str, Field(max_length=20)], Annotated[str, Field(max_length=10)]] | None = Field(
        default=None, max_length=20
    )
    profiling_objection: bool | None = None


class ConsentOut(BaseModel):
    purpose: str
    granted: bool
    policy_version: str
    decided_at: datetime | None
    text: str


class ConsentIn(BaseModel):
    granted: bool


class PhotoOut(BaseModel):
    id: str
    width: int
    height: int
    faces_blurred: int
    saved_at: datetime
    expires_at: datetime


class ErasureOut(BaseModel):
    job_id: str
    status: Literal["done", "retrying"]
    areas_done: list[str]
    areas_pending: list[str]


def _shopper_out(s: Shopper) -> ShopperOut:
    return ShopperOut(
        id=s.id,
        kind=s.kind,
        display_name=s.display_name,
        email=s.email,
        locale=s.locale,
        sizes=s.sizes,
        profiling_objection=s.profiling_objection,
        created_at=s.created_at,
    )


def _photo_out(p: SavedPhoto) -> PhotoOut:
    return PhotoOut(
        id=p.id,
        width=p.width,
        height=p.height,
        faces_blurred=p.faces_blurred,
        saved_at=p.created_at,
        expires_at=p.expires_at,
    )


@router.get("", response_model=ShopperOut, responses=ERRORS)
async def read_me(shopper: CurrentShopper) -> ShopperOut:
    """The signed-in shopper's profile."""
    return _shopper_out(shopper)


@router.patch("", response_model=ShopperOut, responses=ERRORS)
async def rectify_me(body: ShopperUpdate, shopper: CurrentShopper, services: ServicesDep) -> ShopperOut:
    """Correct the profile, or object to profiling (`profiling_objection: true`)."""
    changes: dict[str, Any] = body.model_dump(exclude_unset=True, exclude_none=True)
    return _shopper_out(await run_in_threadpool(services.accounts.rectify, shopper.id, changes))


@router.delete("", response_model=ErasureOut, responses=ERRORS)
async def erase_me(shopper: CurrentShopper, services: ServicesDep) -> ErasureOut:
    """Delete the account and everything kept about the shopper; a store that fails is retried by a job."""
    job = await run_in_threadpool(erase_shopper, services, shopper.id)
    pending = sorted(job.areas_failed)
    return ErasureOut(
        job_id=job.id, status="retrying" if pending else "done", areas_done=job.areas_done, areas_pending=pending
    )


@router.get("/export", responses={200: {"content": {"application/zip": {}}}, **ERRORS})
async def export_me(shopper: CurrentShopper, services: ServicesDep) -> Response:
    """Everything kept about the shopper, as a ZIP: shopper.json (with its JSON schema) and the saved photos."""
    data = await run_in_threadpool(export_zip, services, shopper.id)
    with transaction(services.sessions) as session:
        services.privacy.audit.record(session, "data.exported", shopper.id)
    headers = {"Content-Disposition": 'attachment; filename="stylelens-my-data.zip"'}
    return Response(data, media_type="application/zip", headers=headers)


@router.get("/consents", response_model=list[ConsentOut], responses=ERRORS)
async def read_consents(shopper: CurrentShopper, services: ServicesDep) -> list[ConsentOut]:
    """The current decision per purpose, with the text of the policy it refers to."""
    with services.sessions() as session:
        states = services.privacy.consent.current(session, shopper.id)
    return [
        ConsentOut(
            purpose=p,
            granted=states[p].granted,
            policy_version=states[p].policy_version,
            decided_at=states[p].decided_at,
            text=POLICY_TEXT[p],
        )
        for p in PURPOSES
    ]


@router.put("/consents/{purpose}", response_model=ConsentOut, responses=ERRORS)
async def decide_consent(
    purpose: PurposeName, body: ConsentIn, shopper: CurrentShopper, services: ServicesDep
) -> ConsentOut:
    """Grant or withdraw consent to one purpose (withdrawing is as easy as granting)."""
    with transaction(services.sessions) as session:
        state = services.privacy.consent.decide(session, shopper.id, purpose, body.granted)
    return ConsentOut(
        purpose=purpose,
        granted=state.granted,
        policy_version=state.policy_version,
        decided_at=state.decided_at,
        text=POLICY_TEXT[purpose],
    )


@router.get("/photos", response_model=list[PhotoOut], responses=ERRORS)
async def list_photos(shopper: CurrentShopper, services: ServicesDep) -> list[PhotoOut]:
    """The photos the shopper saved, with when each will be deleted."""
    with services.sessions() as session:
        return [_photo_out(p) for p in services.privacy.photos.list(session, shopper.id)]


@router.post("/photos", response_model=PhotoOut, status_code=201, responses=ERRORS)
async def save_photo(
    shopper: CurrentShopper,
    services: ServicesDep,
    image: Annotated[UploadFile, File(description="The photo to keep: faces are blurred before it is stored")],
) -> PhotoOut:
    """Keep a photo (needs the photo_processing consent)."""
    max_bytes = services.settings.vision.max_bytes
    data = await image.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ImageTooLarge(f"the photo is over {max_bytes // (1024 * 1024)} MB; please send a smaller one")
    return _photo_out(await run_in_threadpool(services.privacy.photos.save, shopper.id, data))


@router.get("/photos/{photo_id}", responses={200: {"content": {"image/jpeg": {}}}, **ERRORS})
async def read_photo(photo_id: PhotoId, shopper: CurrentShopper, services: ServicesDep) -> Response:
    """One saved photo (face-blurred JPEG)."""
    data = await run_in_threadpool(services.privacy.photos.read, shopper.id, photo_id)
    return Response(data, media_type="image/jpeg")


@router.delete("/photos/{photo_id}", status_code=204, responses=ERRORS)
async def delete_photo(photo_id: PhotoId, shopper: CurrentShopper, services: ServicesDep) -> Response:
    """Delete one saved photo now."""
    await run_in_threadpool(services.privacy.photos.delete, shopper.id, photo_id)
    return Response(status_code=204)
