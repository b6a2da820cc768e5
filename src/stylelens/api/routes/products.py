"""The catalog as shoppers browse it: products, and the images the service serves itself."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import func, select
from sqlalchemy.sql import Select

from stylelens.api.deps import ServicesDep
from stylelens.api.routes.presenters import product_public
from stylelens.api.schemas import Problem, ProductPublic, ProductsPublic
from stylelens.errors import NotFound
from stylelens.storage.models import Product

router = APIRouter(tags=["catalog"])
NOT_FOUND: dict[int | str, dict[str, object]] = {404: {"model": Problem}}
MEDIA_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


@router.get("/products", response_model=ProductsPublic)
def list_products(
    request: Request,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    category: Annotated[str | None, Query(max_length=40)] = None,
    max_price: Annotated[float | None, Query(gt=0, le=1_000_000)] = None,
    lang: Literal["fr", "en"] = "fr",
) -> ProductsPublic:
    """A page of the catalog, optionally one category or under a price."""
    query: Select[Product] = select(Product)
    if category:
        query = query.where(Product.category == category)
    if max_price is not None:
        query = query.where(Product.price <= max_price)
    with services.sessions() as session:
        count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(query.order_by(Product.pk).limit(limit).offset(offset)).all()
    return ProductsPublic(data=[product_public(request, p, lang) for p in rows], count=count)


@router.get("/products/{product_id}", response_model=ProductPublic, responses=NOT_FOUND)
def get_product(
    request: Request, services: ServicesDep, product_id: str, lang: Literal["fr", "en"] = "fr"
) -> ProductPublic:
    """One product with its sizes, stock, colours and pattern."""
    with services.sessions() as session:
        product = session.scalar(select(Product).where(Product.product_id == product_id))
    if product is None:
        raise NotFound(f"no product {product_id!r} in the catalog")
    return product_public(request, product, lang)


@router.get("/images/{key:path}", name="catalog_image", responses=NOT_FOUND)
async def catalog_image(services: ServicesDep, key: str) -> Response:
    """A catalog image, served by StyleLens itself on the embedded default."""
    if not key.startswith(("products/", "masks/")):
        raise NotFound("no such image")
    data = await run_in_threadpool(services.blobs.get, key)
    media_type = MEDIA_TYPES.get(key.rsplit(".", 1)[-1], "application/octet-stream")
    return Response(data, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"})
