"""A shopper picks which garment to search on: by its index in `garments`, or by drawing a box."""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from stylelens.catalog.demo import demo_products
from stylelens.catalog.demo_feed import demo_catalog_items
from stylelens.config import Settings
from stylelens.errors import InvalidInput, PhotoForgotten
from stylelens.recommend.search import SearchQuery
from stylelens.services import Services

CATALOG = 60


@pytest.fixture(scope="module")
def small_shop(tmp_path_factory: pytest.TempPathFactory, make_settings: Callable[[Path], Settings]) -> Services:
    settings = make_settings(tmp_path_factory.mktemp("shop"))
    services = Services(settings)
    services.ingestor.ingest(demo_catalog_items(7, CATALOG, settings.catalog.shop_url))
    return services


def jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=88)
    return buffer.getvalue()


def test_a_box_chooses_which_garment_is_searched(small_shop: Services) -> None:
    first, second = (item for i, item in enumerate(demo_products(7, CATALOG)) if i in (3, 17))
    sheet = Image.new("RGB", (1024, 512), (238, 236, 232))
    sheet.paste(first.image, (0, 0))
    sheet.paste(second.image, (512, 0))
    photo = jpeg(sheet)
    left = small_shop.search.search(photo, SearchQuery(limit=3, box=(0, 0, 512, 512)))
    right = small_shop.search.search(photo, SearchQuery(limit=3, box=(512, 0, 512, 512)))
    assert left.results[0].product.product_id == first.product.product_id
    assert right.results[0].product.product_id == second.product.product_id
    region = right.garments[0].garment.region
    assert region.x >= 512 and region.x + region.w <= 1024  # reported in the uploaded photo's pixels


def test_each_garment_of_a_person_can_be_searched(
    small_shop: Services, real_photo: Callable[[str], Image.Image]
) -> None:
    photo = jpeg(real_photo("messi5.jpg"))
    answer = small_shop.search.search(photo, SearchQuery(limit=5))
    kinds = [found.garment.kind for found in answer.garments]
    assert kinds[0] == "upper" and "lower" in kinds
    lower = kinds.index("lower")
    chosen = small_shop.search.search(photo, SearchQuery(limit=5, garment=lower))
    top = [hit.product.product_id for hit in answer.results]
    assert [hit.product.product_id for hit in chosen.results] != top


def test_a_photo_without_a_garment_is_an_empty_answer(small_shop: Services) -> None:
    answer = small_shop.search.search(jpeg(Image.new("RGB", (640, 480), (250, 250, 250))), SearchQuery())
    assert answer.garments == [] and answer.results == []


def test_a_photo_searched_again_with_other_filters_is_not_read_again(
    small_shop: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Changing a filter sends the same photo again: the garments come from memory, the results follow the filter;
    another photo (even the same picture saved again) is read; with recent_photos 0 or past its time, read again."""
    from stylelens.index.base import IndexFilter
    from stylelens.recommend.search import VisualSearch

    reads: list[int] = []
    analyse = small_shop.analyser.analyse
    monkeypatch.setattr(small_shop.analyser, "analyse", lambda image, mask=None: reads.append(1) or analyse(image))
    item = next(item for i, item in enumerate(demo_products(7, CATALOG)) if i == 5)
    photo = jpeg(item.image)
    first = small_shop.search.search(photo, SearchQuery(limit=5))
    category = first.garments[0].category.label
    again = small_shop.search.search(photo, SearchQuery(limit=5, where=IndexFilter(category=category)))
    assert len(reads) == 1
    assert [(g.category, g.garment.colors, g.garment.region) for g in again.garments] == [
        (g.category, g.garment.colors, g.garment.region) for g in first.garments
    ]
    assert again.results and all(hit.product.category == category for hit in again.results)
    # By the answer's photo_id, without the photo: the same answer, nothing read.
    assert first.photo_id is not None and first.photo_id == again.photo_id
    assert first.photo_id != hashlib.sha256(photo).hexdigest()  # a keyed hash: the id says nothing of the photo
    by_id = small_shop.search.search_again(first.photo_id, SearchQuery(limit=5, where=IndexFilter(category=category)))
    assert len(reads) == 1 and by_id.photo_id == first.photo_id
    assert [h.product.product_id for h in by_id.results] == [h.product.product_id for h in again.results]
    with pytest.raises(PhotoForgotten):
        small_shop.search.search_again(hashlib.sha256(b"another photo").hexdigest(), SearchQuery())
    with pytest.raises(InvalidInput):
        small_shop.search.search_again(first.photo_id, SearchQuery(box=(0, 0, 50, 50)))
    buffer = io.BytesIO()
    item.image.convert("RGB").save(buffer, format="JPEG", quality=87)
    small_shop.search.search(buffer.getvalue(), SearchQuery(limit=5))
    assert len(reads) == 2

    def search(**remember: float) -> VisualSearch:
        s = small_shop.settings.vision
        return VisualSearch(
            small_shop.analyser, small_shop.index, small_shop.sessions, max_bytes=s.max_bytes,
            max_pixels=s.max_pixels, **remember,  # type: ignore[arg-type]
        )  # fmt: skip

    forgetful = search(recent_photos=0)
    assert forgetful.search(photo, SearchQuery(limit=5)).photo_id is None
    forgetful.search(photo, SearchQuery(limit=5))
    assert len(reads) == 4
    with pytest.raises(PhotoForgotten):
        forgetful.search_again(first.photo_id, SearchQuery())
    brief = search(recent_photos=8, recent_photo_s=0.05)
    brief.search(photo, SearchQuery(limit=5))
    time.sleep(0.1)
    with pytest.raises(PhotoForgotten):
        brief.search_again(first.photo_id, SearchQuery())
    brief.search(photo, SearchQuery(limit=5))
    assert len(reads) == 6
    # Another shopper's search of the same photo is read anew, under another id; neither id serves the other.
    mine = small_shop.search.search(photo, SearchQuery(shopper="shopper-a")).photo_id
    assert len(reads) == 7 and mine not in (None, first.photo_id)
    assert small_shop.search.search_again(mine, SearchQuery(shopper="shopper-a")).garments  # type: ignore[arg-type]
    for photo_id, shopper in ((mine, "shopper-b"), (mine, None), (first.photo_id, "shopper-a")):
        with pytest.raises(PhotoForgotten):
            small_shop.search.search_again(photo_id, SearchQuery(shopper=shopper))  # type: ignore[arg-type]


def test_what_is_remembered_of_a_shoppers_photos_is_listed_for_them_and_forgotten_on_request(
    small_shop: Services,
) -> None:
    """A shopper's data export lists what the search remembers of their photos, and their erasure forgets it at
    once; another shopper's photos and anonymous searches are neither listed nor forgotten with them."""
    from stylelens.recommend.search import VisualSearch

    s = small_shop.settings.vision
    search = VisualSearch(
        small_shop.analyser, small_shop.index, small_shop.sessions, max_bytes=s.max_bytes, max_pixels=s.max_pixels,
        recent_photos=8, recent_photo_s=600,
    )  # fmt: skip
    first, second = (jpeg(item.image) for i, item in enumerate(demo_products(7, CATALOG)) if i in (4, 9))
    answers = [search.search(first, SearchQuery(shopper="ada")), search.search(second, SearchQuery(shopper="ada"))]
    theirs = search.search(first, SearchQuery(shopper="grace"))
    anonymous = search.search(second, SearchQuery())

    remembered = search.remembered_for("ada")
    assert [p.photo_id for p in remembered] == [a.photo_id for a in answers]  # oldest first
    for photo, answer in zip(remembered, answers, strict=True):
        assert [g.region for g in photo.garments] == [f.garment.region for f in answer.garments]
        assert all(g.mask.size == 0 for g in photo.garments)  # no mask, no pixel
        assert (photo.forgotten_by - photo.searched_at).total_seconds() == 600
    assert [p.photo_id for p in search.remembered_for("grace")] == [theirs.photo_id]

    assert search.forget("ada") == 2 and search.remembered_for("ada") == []
    with pytest.raises(PhotoForgotten):
        search.search_again(answers[0].photo_id, SearchQuery(shopper="ada"))  # type: ignore[arg-type]
    assert search.search_again(theirs.photo_id, SearchQuery(shopper="grace")).garments  # type: ignore[arg-type]
    assert search.search_again(anonymous.photo_id, SearchQuery()).garments  # type: ignore[arg-type]
    assert search.forget("ada") == 0

    brief = VisualSearch(
        small_shop.analyser, small_shop.index, small_shop.sessions, max_bytes=s.max_bytes, max_pixels=s.max_pixels,
        recent_photos=8, recent_photo_s=0.05,
    )  # fmt: skip
    brief.search(first, SearchQuery(shopper="ada"))
    time.sleep(0.1)
    assert brief.remembered_for("ada") == [] and brief.forget("ada") == 0  # gone with its time
