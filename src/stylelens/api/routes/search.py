"""POST /v1/search: a shopper's photo in, the garments found and similar catalog items out."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool

from stylelens.api.deps import ServicesDep
from stylelens.api.routes.presenters import image_url, shop_link, title
from stylelens.api.routes.recommend import optional_shopper
from stylelens.api.schemas import (
    CategoryOut,
    ColorOut,
    GarmentOut,
    Problem,
    RegionOut,
    SearchOut,
    SearchResultOut,
)
from stylelens.errors import ImageTooLarge, InvalidInput
from stylelens.index.base import IndexFilter
from stylelens.recommend.search import SearchAnswer, SearchQuery
from stylelens.vision.analysis import PatternScore
from stylelens.vision.palette import COLOR_NAMES

router = APIRouter(tags=["search"])
ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": Problem, "content": {"application/problem+json": {}}} for code in (400, 410, 413, 415, 422)
}
PHOTO_ID = r"^[0-9a-f]{64}$"


@router.post("/search", response_model=SearchOut, responses=ERRORS)
async def search(
    request: Request,
    services: ServicesDep,
    image: Annotated[UploadFile | None, File(description="The shopper's photo: JPEG, PNG, WebP or HEIC")] = None,
    photo_id: Annotated[
        str | None,
        Form(
            pattern=PHOTO_ID,
            description="Instead of the image: the photo_id of a search a moment ago, to search the same photo "
            "again (another garment, other filters) without sending it; 410 once it is no longer remembered",
        ),
    ] = None,
    limit: Annotated[int, Form(ge=1, le=100)] = 20,
    category: Annotated[str | None, Form(max_length=40)] = None,
    color: Annotated[str | None, Form(max_length=20)] = None,
    max_price: Annotated[float | None, Form(gt=0)] = None,
    in_stock: Annotated[bool | None, Form()] = None,
    garment: Annotated[int, Form(ge=0, le=20)] = 0,
    box: Annotated[str | None, Form(pattern=r"^\d{1,5},\d{1,5},\d{1,5},\d{1,5}$", description="x,y,w,h")] = None,
    lang: Annotated[Literal["fr", "en"], Form()] = "fr",
    text: Annotated[str | None, Form(max_length=200, description="Words to match too, e.g. 'linen'")] = None,
    size: Annotated[list[str] | None, Form(max_length=4, description="The shopper's sizes: in stock first")] = None,
    shopper_id: Annotated[str | None, Depends(optional_shopper)] = None,
) -> SearchOut:
    """Find the garments in the photo and the catalog items most like the chosen one.

    The answer's `photo_id` names the photo while the service remembers what it read of it (a few minutes, no
    pixel kept): send it instead of the image to search the same photo with another garment or other filters.
    """
    if color is not None and color not in COLOR_NAMES:
        raise InvalidInput(f"unknown colour {color!r}; use one of: {', '.join(COLOR_NAMES)}")
    if (image is None) == (photo_id is None):
        raise InvalidInput(
            "send the photo in the `image` field (multipart), or the `photo_id` of a search a moment ago, not both"
            if image is not None
            else "send the photo in the `image` field (multipart), or the `photo_id` of a search a moment ago"
        )
    where = IndexFilter(category=category or None, color=color, max_price=max_price, in_stock=in_stock)
    sizes = tuple(size or ())
    query = SearchQuery(
        limit=limit, where=where, garment=garment, box=_box(box), shopper=shopper_id, sizes=sizes, text=text
    )
    if photo_id is not None:
        answer = await run_in_threadpool(services.search.search_again, photo_id, query)
        return _present(request, answer, lang)
    assert image is not None
    max_bytes = services.settings.vision.max_bytes
    photo = await image.read(max_bytes + 1)
    if len(photo) > max_bytes:
        raise ImageTooLarge(f"the photo is over {max_bytes // (1024 * 1024)} MB; please send a smaller one")
    answer = await run_in_threadpool(services.search.search, photo, query)
    return _present(request, answer, lang)


def _present(request: Request, answer: SearchAnswer, lang: str) -> SearchOut:
    garments = [
        GarmentOut(
            category=CategoryOut(label=found.category.label, score=found.category.score),
            colors=[ColorOut(name=c.name, hex=c.hex, share=round(c.share, 3)) for c in found.garment.colors],
            region=RegionOut(**vars(found.garment.region)),
            kind=found.garment.kind,
            categories=[CategoryOut(label=c.label, score=c.score) for c in found.garment.categories],
            pattern=_pattern(found.garment.pattern),
        )
        for found in answer.garments
    ]
    results = [
        SearchResultOut(
            product_id=hit.product.product_id,
            score=round(hit.score, 4),
            title=title(hit.product, lang),
            price=float(hit.product.price),
            currency=hit.product.currency,
            image_url=image_url(request, hit.product.image_key),
            product_url=shop_link(hit.product.product_url),
            reasons=hit.reasons,
        )
        for hit in answer.results
    ]
    return SearchOut(garments=garments, results=results, photo_id=answer.photo_id)


def _box(text: str | None) -> tuple[int, int, int, int] | None:
    """'x,y,w,h' from the form (already checked by its pattern) as integers."""
    if text is None:
        return None
    x, y, w, h = (int(v) for v in text.split(","))
    if w < 1 or h < 1:
        raise InvalidInput("box width and height must be positive")
    return x, y, w, h


def _pattern(pattern: PatternScore | None) -> CategoryOut | None:
    return CategoryOut(label=pattern.label, score=pattern.score) if pattern is not None else None
