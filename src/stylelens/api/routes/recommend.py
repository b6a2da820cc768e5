"""Recommendations: the "for you" feed, similar items, complete the look, "like this but...", and the taste.

Routes parse and validate, then call the recommender in a thread pool. Personalisation happens only for a
signed-in shopper with the personalisation consent (decided in recommend/consent.py).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field
from sqlalchemy import select

from stylelens.api.deps import CurrentShopper, ServicesDep, bearer_scheme
from stylelens.api.routes.presenters import image_url, shop_link, title
from stylelens.api.schemas import Problem
from stylelens.errors import NotFound
from stylelens.recommend.ranking import Ranked
from stylelens.recommend.service import ShopperContext
from stylelens.recommend.taste import TasteEdits, describe
from stylelens.services import Services
from stylelens.storage.models import Product

router = APIRouter(tags=["recommendations"])
ERRORS: dict[int | str, dict[str, object]] = {code: {"model": Problem} for code in (401, 404, 422)}
Limit = Annotated[int, Query(ge=1, le=100)]
Sizes = Annotated[list[str] | None, Query(max_length=4, description="The shopper's sizes, e.g. size=M&size=39")]
Lang = Literal["fr", "en"]


class RecommendationOut(BaseModel):
    product_id: str
    title: str
    category: str
    colors: list[str]
    price: float
    currency: str
    in_stock: bool
    image_url: str
    product_url: str
    score: float = Field(description="Relevance after re-ranking, higher first")
    reasons: list[str] = Field(description="Why this item is shown, in the shopper's words")


class RecommendationsOut(BaseModel):
    personalised: bool = Field(description="Whether the shopper's taste was used (needs their consent)")
    results: list[RecommendationOut]


class RefineIn(BaseModel):
    product_id: str = Field(max_length=64)
    change: Literal["another_colour", "cheaper", "another_category", "longer", "shorter"]
    text: str | None = Field(default=None, max_length=200, description="Words to match as well, e.g. 'linen'")
    sizes: list[str] = Field(default_factory=list, max_length=4)
    limit: int = Field(default=20, ge=1, le=100)
    lang: Lang = "fr"


class TasteEditsIn(BaseModel):
    """What the shopper tells us; omitted fields stay as they are."""

    sizes: list[str] | None = Field(default=None, max_length=6)
    max_price: float | None = Field(default=None, gt=0)
    colors: list[str] | None = Field(default=None, max_length=10)
    categories: list[str] | None = Field(default=None, max_length=10)
    brands: list[str] | None = Field(default=None, max_length=10)
    hidden_colors: list[str] | None = Field(default=None, max_length=10)
    hidden_categories: list[str] | None = Field(default=None, max_length=10)
    hidden_brands: list[str] | None = Field(default=None, max_length=10)


class TasteOut(BaseModel):
    personalised: bool
    description: str = Field(examples=["you like: navy, black; shirts; under 60 EUR; size M"])
    colors: dict[str, float]
    categories: dict[str, float]
    brands: dict[str, float]
    price_band: tuple[float, float] | None
    sizes: list[str]
    looks: int = Field(description="How many distinct looks (centres in embedding space) the taste holds")
    events: int
    edits: TasteEditsIn


def optional_shopper(
    services: ServicesDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)]
) -> str | None:
    """The signed-in shopper's id, or None for an anonymous request."""
    if credentials is None or not credentials.credentials:
        return None
    return services.accounts.shopper_for(credentials.credentials).id


def shopper_context(
    services: ServicesDep,
    size: Sizes = None,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)] = None,
) -> ShopperContext:
    """Who is asking (signed in or anonymous) and in which sizes, for every recommendation route."""
    return ShopperContext(optional_shopper(services, credentials), tuple(size or ()))


Who = Annotated[ShopperContext, Depends(shopper_context)]


@router.get("/for-you", response_model=RecommendationsOut, responses=ERRORS)
async def for_you(
    request: Request, services: ServicesDep, who: Who, limit: Limit = 20, lang: Lang = "fr",
) -> RecommendationsOut:  # fmt: skip
    """A feed without a photo: personalised from the shopper's taste, or a varied in-stock selection."""
    ranked = await run_in_threadpool(services.recommender.for_you, who, limit)
    return await _present(request, services, who, ranked, lang)


@router.get("/products/{product_id}/similar", response_model=RecommendationsOut, responses=ERRORS)
async def similar(
    request: Request, services: ServicesDep, product_id: str, who: Who, limit: Limit = 20, lang: Lang = "fr",
) -> RecommendationsOut:  # fmt: skip
    """Items that look like this one, re-ranked for the shopper."""
    pk = await run_in_threadpool(_pk, services, product_id)
    ranked = await run_in_threadpool(services.recommender.similar, pk, who, limit)
    return await _present(request, services, who, ranked, lang)


@router.get("/products/{product_id}/complete-the-look", response_model=RecommendationsOut, responses=ERRORS)
async def complete_the_look(
    request: Request, services: ServicesDep, product_id: str, who: Who, limit: Limit = 8, lang: Lang = "fr",
) -> RecommendationsOut:  # fmt: skip
    """Items of complementary kinds whose colours go with this one."""
    pk = await run_in_threadpool(_pk, services, product_id)
    ranked = await run_in_threadpool(services.recommender.complete_the_look, pk, who, limit)
    return await _present(request, services, who, ranked, lang)


@router.post("/search/refine", response_model=RecommendationsOut, responses=ERRORS)
async def refine(
    request: Request, services: ServicesDep, body: RefineIn,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)] = None,
) -> RecommendationsOut:  # fmt: skip
    """Like this item, but another colour, cheaper, another kind, longer or shorter; with words to match too."""
    who = ShopperContext(optional_shopper(services, credentials), tuple(body.sizes))
    pk = await run_in_threadpool(_pk, services, body.product_id)
    ranked = await run_in_threadpool(services.recommender.refine, pk, body.change, who, body.limit, body.text)
    return await _present(request, services, who, ranked, body.lang)


@router.get("/me/taste", response_model=TasteOut, responses=ERRORS)
async def read_taste(shopper: CurrentShopper, services: ServicesDep) -> TasteOut:
    """Your taste as we understand it, in words; empty without your personalisation consent."""
    return await run_in_threadpool(_taste, services, shopper.id)


@router.patch("/me/taste", response_model=TasteOut, responses=ERRORS)
async def edit_taste(body: TasteEditsIn, shopper: CurrentShopper, services: ServicesDep) -> TasteOut:
    """Tell us your sizes, a price ceiling, colours, kinds or brands to show more of or to hide."""
    store = services.recommender.tastes
    edits, _ = await run_in_threadpool(store.load, shopper.id)
    # An explicit null clears a list ("no sizes"); max_price null removes the ceiling.
    changes = {k: (tuple(v or ()) if k != "max_price" else v) for k, v in body.model_dump(exclude_unset=True).items()}
    await run_in_threadpool(store.save_edits, shopper.id, TasteEdits(**{**asdict(edits), **changes}))
    return await run_in_threadpool(_taste, services, shopper.id)


@router.delete("/me/taste", status_code=204, responses=ERRORS)
async def reset_taste(shopper: CurrentShopper, services: ServicesDep) -> Response:
    """Start again: what was learnt and what you told us are forgotten."""
    await run_in_threadpool(services.recommender.tastes.reset, shopper.id)
    return Response(status_code=204)


def _taste(services: Services, shopper_id: str) -> TasteOut:
    recommender = services.recommender
    edits, _ = recommender.tastes.load(shopper_id)
    edits_out = TasteEditsIn.model_validate(
        {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(edits).items()}
    )
    taste = recommender.taste_for(ShopperContext(shopper_id))
    if taste is None:
        text = "personalisation is off: give your consent to personalisation to see results ordered for you"
        return TasteOut(personalised=False, description=text, colors={}, categories={}, brands={}, price_band=None,
                        sizes=[], looks=0, events=0, edits=edits_out)  # fmt: skip
    return TasteOut(
        personalised=True, description=describe(taste), colors=_round3(taste.colors),
        categories=_round3(taste.categories), brands=_round3(taste.brands), price_band=taste.price_band,
        sizes=list(taste.sizes), looks=len(taste.centres), events=taste.events, edits=edits_out,
    )  # fmt: skip


def _round3(prefs: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 3) for k, v in prefs.items()}


def _pk(services: Services, product_id: str) -> int:
    with services.sessions() as session:
        pk = session.scalar(select(Product.pk).where(Product.product_id == product_id))
    if pk is None:
        raise NotFound(f"no product {product_id!r} in the catalog")
    return pk


async def _present(
    request: Request, services: Services, who: ShopperContext, ranked: list[Ranked], lang: str
) -> RecommendationsOut:
    personalised = await run_in_threadpool(services.recommender.taste_for, who) is not None
    rows = await run_in_threadpool(_rows, services, [r.pk for r in ranked])
    results = [
        RecommendationOut(
            product_id=p.product_id, title=title(p, lang), category=p.category, colors=list(p.colors),
            price=float(p.price), currency=p.currency, in_stock=p.in_stock, image_url=image_url(request, p.image_key),
            product_url=shop_link(p.product_url, medium="recommendation"), score=round(r.score, 4), reasons=r.reasons,
        )
        for r in ranked
        if (p := rows.get(r.pk)) is not None
    ]  # fmt: skip
    return RecommendationsOut(personalised=personalised, results=results)


def _rows(services: Services, pks: list[int]) -> dict[int, Product]:
    with services.sessions() as session:
        return {p.pk: p for p in session.scalars(select(Product).where(Product.pk.in_(pks)))}
