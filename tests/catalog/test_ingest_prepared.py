"""The faster ingestion path (work done ahead in fetching threads, no unused attributes) stores the same catalog."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from stylelens.catalog.demo_feed import demo_catalog_items
from stylelens.catalog.fetch import ImageFetcher
from stylelens.catalog.ingest import CatalogItem, prepare_image
from stylelens.config import Settings
from stylelens.services import Services
from stylelens.storage.models import Product


def _catalog(services: Services) -> dict[str, tuple[list[str], bytes, str, bytes, np.ndarray]]:
    with services.sessions() as session:
        rows = session.scalars(select(Product).options(selectinload(Product.embedding))).all()
        return {
            r.product_id: (
                list(r.colors),
                r.embedding.vector,  # type: ignore[union-attr]
                r.content_hash,
                services.blobs.get(r.image_key),
                np.asarray(Image.open(io.BytesIO(services.blobs.get(r.mask_key)))),
            )
            for r in rows
        }


def test_prepared_images_give_the_same_catalog_as_plain_ones(
    tmp_path: Path, make_settings: Callable[[Path], Settings]
) -> None:
    # Packshots as a shop feed gives them: no known mask, no colours (the analyser's colours are stored).
    items = [CatalogItem(replace(i.product, colors=()), i.image) for i in demo_catalog_items(7, 12, "http://shop.test")]
    plain, prepared = Services(make_settings(tmp_path / "plain")), Services(make_settings(tmp_path / "prepared"))
    assert plain.ingestor.ingest(items).added == 12
    assert prepared.ingestor.ingest([replace(i, prepared=prepare_image(i.image)) for i in items]).added == 12

    expected, got = _catalog(plain), _catalog(prepared)
    assert sorted(got) == sorted(expected) and len(got) == 12
    for product_id, (colors, vector, content_hash, jpeg, mask) in expected.items():
        assert colors and got[product_id][0] == colors
        assert got[product_id][1] == vector
        assert got[product_id][2] == content_hash and got[product_id][3] == jpeg
        assert np.array_equal(got[product_id][4], mask) and mask.any()


def test_analysis_without_attributes_keeps_mask_colours_and_embedding(
    tmp_path: Path, make_settings: Callable[[Path], Settings]
) -> None:
    analyser = Services(make_settings(tmp_path)).analyser
    images = [i.image for i in demo_catalog_items(7, 8, "http://shop.test")]
    full = analyser.analyse_batch(images)
    lean = analyser.analyse_batch(images, attributes=False)
    for [a], [b] in zip(full, lean, strict=True):
        assert np.array_equal(a.mask, b.mask) and a.region == b.region and a.colors == b.colors
        assert np.array_equal(a.embedding, b.embedding)
        assert b.categories == [] and b.pattern is None
    assert any(g.categories for [g] in full)  # the full reading does name categories


def test_fetch_stream_starts_fetching_before_the_first_result_is_read() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 200, 30)).save(buffer, format="PNG")
    all_fetched = threading.Event()
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if len(seen) == 4:
            all_fetched.set()
        return httpx.Response(200, content=buffer.getvalue())

    with ImageFetcher(httpx.Client(transport=httpx.MockTransport(handler))) as fetcher:
        stream = fetcher.fetch_stream([f"https://s/{i}.png" for i in range(4)], lambda image: image.size)
        assert all_fetched.wait(5), "nothing was fetched until the stream was read"
        results = list(stream)
    assert [r.prepared for r in results] == [(16, 16)] * 4 and all(r.ok for r in results)


def test_colours_the_shop_names_are_stored_and_none_are_worked_out(
    tmp_path: Path, make_settings: Callable[[Path], Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    import stylelens.catalog.ingest as ingest_module
    import stylelens.vision.analysis as analysis_module

    worked_out: list[int] = []

    def counting(real: Callable[..., object]) -> Callable[..., object]:
        def wrapper(*args: object, **kwargs: object) -> object:
            worked_out.append(1)
            return real(*args, **kwargs)

        return wrapper

    for module in (ingest_module, analysis_module):
        monkeypatch.setattr(module, "garment_colors", counting(module.garment_colors))
    named = list(demo_catalog_items(7, 6, "http://shop.test"))  # the demo's products name their colours
    unnamed = [
        CatalogItem(replace(i.product, product_id=f"{i.product.product_id}-x", colors=()), i.image) for i in named
    ]
    services = Services(make_settings(tmp_path))
    prepared = [replace(i, mask=None, prepared=prepare_image(i.image, colors=False)) for i in named]
    assert prepared[0].prepared is not None and prepared[0].prepared.colors is None
    assert services.ingestor.ingest(prepared).added == 6
    assert worked_out == []  # neither ahead nor in the analysis
    assert services.ingestor.ingest(unnamed).added == 6
    assert len(worked_out) == 6  # a product without the shop's colours gets the analysis's
    stored = {pid: colors for pid, (colors, *_) in _catalog(services).items()}
    assert all(stored[i.product.product_id] == list(i.product.colors) and i.product.colors for i in named)
    assert all(stored[i.product.product_id] for i in unnamed)


def test_fetch_stream_takes_one_prepare_per_url() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 200, 30)).save(buffer, format="PNG")
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=buffer.getvalue()))
    with ImageFetcher(httpx.Client(transport=transport)) as fetcher:
        prepares = [lambda image: image.size, None, lambda image: image.mode]
        results = list(fetcher.fetch_stream(["https://s/0.png", "https://s/1.png", "https://s/2.png"], prepares))
        assert [r.prepared for r in results] == [(16, 16), None, "RGB"]
        with pytest.raises(ValueError, match="2 URLs but 3 prepare"):
            fetcher.fetch_stream(["https://s/0.png", "https://s/1.png"], prepares)


def test_masks_are_stored_as_one_bit_pngs_that_read_back_exactly() -> None:
    from stylelens.catalog.ingest import encode_mask_png

    rng = np.random.default_rng(3)
    mask = np.zeros((61, 47), dtype=bool)
    mask[10:50, 5:40] = rng.random((40, 35)) > 0.2  # ragged edges and holes, odd sizes
    stored = Image.open(io.BytesIO(encode_mask_png(mask)))
    assert stored.mode == "1" and stored.size == (47, 61)
    assert np.array_equal(np.asarray(stored), mask)
    grey = np.asarray(stored.convert("L"))
    assert set(np.unique(grey)) == {0, 255} and np.array_equal(grey > 127, mask)  # as the embedder check reads it
