"""The demo catalog: thousands of believable shop products, built from real Fashion-MNIST garment shapes.

The same seed always gives the same products and byte-identical photos, and product i does not depend on
how many products are asked for. Each product keeps its true category, colours and pattern, so search
quality can be measured against them. Example::

    for item in demo_products(seed=7, count=2400):
        item.image.save(f"{item.product.product_id}.png")
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import numpy as np
from PIL import Image

from stylelens.catalog import demo_text
from stylelens.catalog.demo_patterns import PATTERNS
from stylelens.catalog.demo_render import render_packshot
from stylelens.catalog.fashion_mnist import load_fashion_mnist, load_fashion_mnist_labels
from stylelens.vision.palette import COLOR_NAMES, PALETTE, hex_to_rgb

__all__ = ["CATEGORIES", "PATTERNS", "DemoItem", "DemoProduct", "demo_attributes", "demo_products"]

# Our retail category of each Fashion-MNIST class, in label order (0 = T-shirt/top ... 9 = Ankle boot).
CATEGORIES: Final[tuple[str, ...]] = (
    "t-shirt", "trousers", "sweater", "dress", "coat", "sandals", "shirt", "sneakers", "bag", "boots",
)  # fmt: skip
BRANDS: Final[tuple[str, ...]] = (
    "Maison Lumen", "Nordvik", "Atelier Sauge", "Okapi Studio", "Riva & Co", "Bleu Cobalt",
)  # fmt: skip
CLOTHES_SIZES: Final[tuple[str, ...]] = ("XS", "S", "M", "L", "XL")
SHOE_SIZES: Final[tuple[str, ...]] = tuple(str(n) for n in range(36, 46))
SHOES: Final[frozenset[str]] = frozenset({"sandals", "sneakers", "boots"})
# Category -> lowest and highest price (EUR).
PRICE_RANGE: Final[dict[str, tuple[float, float]]] = {
    "t-shirt": (12, 35), "trousers": (29, 89), "sweater": (29, 99), "dress": (29, 129), "coat": (79, 249),
    "sandals": (19, 79), "shirt": (25, 79), "sneakers": (39, 139), "bag": (25, 159), "boots": (59, 199),
}  # fmt: skip
# Pattern weights (in PATTERNS order) for clothes, shoes and bags: plain items are the most common.
PATTERN_WEIGHTS: Final[dict[str, tuple[float, ...]]] = {
    "clothes": (0.35, 0.15, 0.12, 0.12, 0.13, 0.13),
    "shoes": (0.55, 0.15, 0.05, 0.05, 0.08, 0.12),
    "bag": (0.45, 0.10, 0.15, 0.10, 0.10, 0.10),
}
OUT_OF_STOCK_RATE: Final[float] = 0.10
MAX_COUNT: Final[int] = 60_000  # one distinct Fashion-MNIST train picture per product
_BLOCK: Final[int] = len(CATEGORIES)  # every run of 10 products holds each category once


@dataclass(frozen=True)
class DemoProduct:
    """One product of the demo shop, with its true attributes."""

    product_id: str
    title_en: str
    title_fr: str
    description_en: str
    description_fr: str
    brand: str
    category: str
    colors: tuple[str, ...]
    pattern: str
    price: float
    currency: str
    sizes: tuple[str, ...]
    stock: dict[str, int]
    source_index: int


@dataclass(frozen=True)
class DemoItem:
    """A demo product with its 512x512 photo and the exact mask of the garment in that photo."""

    product: DemoProduct
    image: Image.Image
    mask: np.ndarray


def demo_products(seed: int = 7, count: int = 2400) -> Iterator[DemoItem]:
    """The demo catalog with photos: `count` products, always the same for the same seed."""
    images, _ = load_fashion_mnist("train")
    for index, product in enumerate(demo_attributes(seed, count)):
        base = hex_to_rgb(PALETTE[product.colors[0]])
        motif = hex_to_rgb(PALETTE[product.colors[-1]])
        rng = np.random.default_rng([seed, index, 1])
        image, mask = render_packshot(images[product.source_index], base, motif, product.pattern, rng)
        yield DemoItem(product, image, mask)


def demo_attributes(seed: int = 7, count: int = 2400) -> Iterator[DemoProduct]:
    """The same products as demo_products but without photos: fast, for listings and tests."""
    if not 0 <= count <= MAX_COUNT:
        raise ValueError(f"count must be between 0 and {MAX_COUNT}, not {count}")
    sources = _sources(seed)
    for index in range(count):
        block, slot = divmod(index, _BLOCK)
        label = int(np.random.default_rng([seed, block, 2]).permutation(_BLOCK)[slot])
        yield _product(seed, index, label, int(sources[label][block]))


@lru_cache(maxsize=4)
def _sources(seed: int) -> tuple[np.ndarray, ...]:
    """Per class, the train pictures in a seed-shuffled order; product k of a class takes the k-th."""
    labels = load_fashion_mnist_labels("train")
    return tuple(
        np.random.default_rng([seed, 3, label]).permutation(np.flatnonzero(labels == label))
        for label in range(len(CATEGORIES))
    )


def _product(seed: int, index: int, label: int, source_index: int) -> DemoProduct:
    """Draw every attribute of product `index` from its own random stream."""
    rng = np.random.default_rng([seed, index, 0])
    category = CATEGORIES[label]
    group = "shoes" if category in SHOES else "bag" if category == "bag" else "clothes"
    pattern = PATTERNS[int(rng.choice(len(PATTERNS), p=PATTERN_WEIGHTS[group]))]
    main = COLOR_NAMES[int(rng.integers(len(COLOR_NAMES)))]
    colors = (main,) if pattern == "solid" else (main, _contrasting(main, rng))
    brand = BRANDS[int(rng.integers(len(BRANDS)))]
    sizes = SHOE_SIZES if category in SHOES else ("one size",) if category == "bag" else CLOTHES_SIZES
    return DemoProduct(
        product_id=f"FI-{index + 1:06d}",
        title_en=demo_text.title_en(category, colors, pattern),
        title_fr=demo_text.title_fr(category, colors, pattern),
        description_en=demo_text.description_en(category, colors, pattern, brand),
        description_fr=demo_text.description_fr(category, colors, pattern, brand),
        brand=brand,
        category=category,
        colors=colors,
        pattern=pattern,
        price=_price(category, rng),
        currency="EUR",
        sizes=sizes,
        stock=_stock(sizes, rng),
        source_index=source_index,
    )


def _lightness(color: str) -> float:
    """How light a palette colour looks, 0 (black) to 1 (white)."""
    r, g, b = hex_to_rgb(PALETTE[color])
    return (0.299 * r + 0.587 * g + 0.114 * b) / 255


def _contrasting(main: str, rng: np.random.Generator) -> str:
    """A second colour for the pattern that stands out clearly from the main one."""
    candidates = [c for c in COLOR_NAMES if abs(_lightness(c) - _lightness(main)) >= 0.3]
    return candidates[int(rng.integers(len(candidates)))]


def _price(category: str, rng: np.random.Generator) -> float:
    """A shop-like price in the category's range, ending in .99, .95 or .00."""
    low, high = PRICE_RANGE[category]
    cents = (0.99, 0.95, 0.0)[int(rng.integers(3))]
    return round(float(np.floor(rng.uniform(low, high))) + cents, 2)


def _stock(sizes: tuple[str, ...], rng: np.random.Generator) -> dict[str, int]:
    """Units left per size: about one product in ten sold out, and some sizes missing in the others."""
    if rng.random() < OUT_OF_STOCK_RATE:
        return dict.fromkeys(sizes, 0)
    units = rng.integers(1, 25, size=len(sizes)) * (rng.random(len(sizes)) >= 0.2)
    if not units.any():
        units[int(rng.integers(len(sizes)))] = int(rng.integers(1, 25))
    return {size: int(n) for size, n in zip(sizes, units, strict=True)}
