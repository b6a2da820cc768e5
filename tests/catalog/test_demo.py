"""The demo catalog: deterministic, varied, shop-like, and its ground truth matches its photos."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from stylelens.catalog import demo_text
from stylelens.catalog.demo import (
    CATEGORIES,
    MAX_COUNT,
    PATTERNS,
    PRICE_RANGE,
    DemoItem,
    demo_attributes,
    demo_products,
)
from stylelens.catalog.fashion_mnist import (
    CLASS_NAMES,
    ENV_VAR,
    load_fashion_mnist,
    load_fashion_mnist_labels,
)
from stylelens.errors import NotReady
from stylelens.vision.palette import PALETTE, hex_to_rgb

_NAMES = list(PALETTE)
_REFERENCE = np.array([hex_to_rgb(PALETTE[name]) for name in _NAMES], dtype=np.float64)


@pytest.fixture(scope="module")
def items() -> list[DemoItem]:
    """A few dozen demo products with photos, shared by the photo tests."""
    return list(demo_products(seed=7, count=40))


def _palette_shares(item: DemoItem) -> dict[str, float]:
    """Share of the garment's inner pixels whose nearest palette colour is each name."""
    pixels = np.asarray(item.image, dtype=np.float64)[ndimage.binary_erosion(item.mask, iterations=3)]
    nearest = ((pixels[:, None, :] - _REFERENCE[None]) ** 2).sum(-1).argmin(1)
    counts = np.bincount(nearest, minlength=len(_NAMES)) / len(pixels)
    return dict(zip(_NAMES, counts.tolist(), strict=True))


def test_fashion_mnist_reads_both_splits() -> None:
    train, train_labels = load_fashion_mnist("train")
    test, test_labels = load_fashion_mnist("test")
    assert train.shape == (60_000, 28, 28) and train.dtype == np.uint8
    assert test.shape == (10_000, 28, 28)
    assert train_labels.dtype == np.int64 and train_labels.shape == (60_000,)
    assert np.bincount(test_labels).tolist() == [1000] * 10
    assert len(CLASS_NAMES) == 10
    assert np.array_equal(load_fashion_mnist_labels("train"), train_labels)


def test_missing_fashion_mnist_is_not_ready(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(NotReady, match="Fashion-MNIST"):
        load_fashion_mnist("train", root=tmp_path)
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "nowhere"))
    with pytest.raises(NotReady, match="nowhere"):
        load_fashion_mnist_labels("test")


def test_same_seed_gives_identical_products_and_bytes() -> None:
    first = list(demo_products(seed=11, count=12))
    second = list(demo_products(seed=11, count=12))
    assert [a.product for a in first] == [b.product for b in second]
    for a, b in zip(first, second, strict=True):
        assert a.image.tobytes() == b.image.tobytes()
        assert np.array_equal(a.mask, b.mask)


def test_another_seed_gives_another_catalog() -> None:
    first = list(demo_products(seed=11, count=12))
    other = list(demo_products(seed=12, count=12))
    assert [a.product.source_index for a in first] != [b.product.source_index for b in other]
    same_photos = sum(a.image.tobytes() == b.image.tobytes() for a, b in zip(first, other, strict=True))
    assert same_photos == 0


def test_a_smaller_catalog_is_a_prefix_of_a_larger_one() -> None:
    assert list(demo_attributes(seed=7, count=25)) == list(demo_attributes(seed=7, count=60))[:25]


def test_attributes_only_path_matches_the_photo_path(items: list[DemoItem]) -> None:
    assert [item.product for item in items] == list(demo_attributes(seed=7, count=len(items)))


def test_count_limits() -> None:
    assert list(demo_products(seed=7, count=0)) == []
    with pytest.raises(ValueError, match="count"):
        next(demo_attributes(seed=7, count=MAX_COUNT + 1))


def test_catalog_of_2000_is_varied_and_balanced() -> None:
    products = list(demo_attributes(seed=7, count=2000))
    categories = Counter(p.category for p in products)
    assert set(categories) == set(CATEGORIES) and len(CATEGORIES) >= 10
    assert set(categories.values()) == {200}  # exactly balanced
    assert len({p.colors[0] for p in products}) >= 12
    assert len({p.pattern for p in products}) >= 5 and {p.pattern for p in products} <= set(PATTERNS)
    assert len({p.source_index for p in products}) == 2000
    assert len({p.product_id for p in products}) == 2000
    assert len({p.brand for p in products}) >= 4
    sold_out = sum(not any(p.stock.values()) for p in products) / len(products)
    assert 0.05 <= sold_out <= 0.15


def test_every_product_is_complete_and_consistent() -> None:
    labels = load_fashion_mnist_labels("train")
    for p in demo_attributes(seed=3, count=300):
        assert p.title_en.strip() and p.title_fr.strip()
        assert p.description_en.strip() and p.description_fr.strip()
        assert CATEGORIES[int(labels[p.source_index])] == p.category
        assert all(c in PALETTE for c in p.colors)
        assert len(p.colors) == (1 if p.pattern == "solid" else 2) and len(set(p.colors)) == len(p.colors)
        low, high = PRICE_RANGE[p.category]
        assert 0 < low <= p.price <= high + 1 and round(p.price, 2) == p.price and p.currency == "EUR"
        assert list(p.stock) == list(p.sizes) and all(n >= 0 for n in p.stock.values())
        assert p.sizes in (("XS", "S", "M", "L", "XL"), tuple(str(n) for n in range(36, 46)), ("one size",))
        assert p.product_id.startswith("FI-")


def test_titles_read_naturally_in_both_languages() -> None:
    assert demo_text.title_en("shirt", ("navy", "white"), "striped") == "Navy striped shirt"
    assert demo_text.title_fr("shirt", ("navy", "white"), "striped") == "Chemise rayée bleu marine"
    assert demo_text.title_fr("sneakers", ("white",), "solid") == "Baskets blanches"
    assert demo_text.title_fr("coat", ("green", "black"), "checked") == "Manteau vert à carreaux"
    assert demo_text.title_fr("boots", ("grey", "white"), "striped") == "Bottes rayées grises"
    described = demo_text.description_fr("dress", ("red", "white"), "dotted", "Nordvik")
    assert described.startswith("Robe rouge à pois blancs, de la marque Nordvik.")
    assert demo_text.description_en("bag", ("black",), "solid", "Nordvik").startswith("A plain black bag by")


def test_photos_are_large_rgb_packshots(items: list[DemoItem]) -> None:
    for item in items:
        assert item.image.mode == "RGB" and item.image.size == (512, 512)
        assert min(item.image.size) >= 384
        assert item.mask.dtype == np.bool_ and item.mask.shape == (512, 512)
        assert 0.04 <= item.mask.mean() <= 0.6
        corners = np.asarray(item.image)[[0, 0, -1, -1], [0, -1, 0, -1]]
        assert corners.min() >= 220  # a plain light background
        assert not item.mask[0].any() and not item.mask[-1].any()  # the garment is wholly in frame


def test_mask_is_exactly_the_garment(items: list[DemoItem]) -> None:
    for item in items:
        photo = np.asarray(item.image).astype(np.int16)
        away = np.abs(photo - photo[:, :1]).max(axis=2)  # difference from the backdrop of the same row
        assert away[~item.mask].max() <= 40  # outside: only the backdrop and its soft shadow
        inside = away[ndimage.binary_erosion(item.mask)]
        assert (inside >= 15).mean() >= 0.97, item.product.title_en  # inside: clearly not the backdrop


def test_photos_show_the_true_colours(items: list[DemoItem]) -> None:
    for item in items:
        shares = _palette_shares(item)
        main = item.product.colors[0]
        if item.product.pattern == "solid":
            assert max(shares, key=shares.__getitem__) == main, item.product.title_en
        else:
            assert shares[main] >= 0.25 and shares[item.product.colors[1]] >= 0.03, item.product.title_en


def test_patterned_photos_are_busier_than_plain_ones(items: list[DemoItem]) -> None:
    def busy(item: DemoItem) -> float:
        grey = np.asarray(item.image.convert("L"), dtype=np.float64)
        edges = np.abs(np.diff(grey, axis=1))[ndimage.binary_erosion(item.mask, iterations=4)[:, 1:]]
        return float((edges > 25).mean())

    plain = [busy(i) for i in items if i.product.pattern == "solid"]
    patterned = [busy(i) for i in items if i.product.pattern in ("striped", "checked", "dotted", "floral")]
    assert plain and patterned
    assert np.median(patterned) > 3 * max(np.median(plain), 1e-3)
