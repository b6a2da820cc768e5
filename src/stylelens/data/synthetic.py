"""Synthetic segmentation data: demo-catalog garments pasted onto real photos, with the exact garment mask.

No real photo of ours carries a garment mask, so the segmenter learns from copy-paste composites: a demo
packshot's garment (its mask is exact) is cut out, sometimes recoloured or re-printed with another pattern,
scaled, rotated, seen in perspective and pasted onto a real scene photo that ships with a package, onto a
tinted sheet (a flat-lay), or over the torso of a person in a real photo (worn). One or two garments per
photo; then a colour cast, blur, noise and JPEG. The mask is the set of pixels the garments were pasted on,
so it is exact by construction. The same seed always gives the same dataset.

Splits measure generalisation: a catalog product is in exactly one split, and the test split uses only
background photos that train and val never see (`HELD_OUT`).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from stylelens.catalog.demo import DemoItem, demo_products
from stylelens.catalog.demo_patterns import PATTERNS
from stylelens.catalog.demo_render import render_packshot
from stylelens.catalog.fashion_mnist import load_fashion_mnist
from stylelens.data.manifest import Dataset, SourceInfo
from stylelens.data.synthetic_scenes import HELD_OUT, backdrop_for
from stylelens.data.writer import DatasetWriter
from stylelens.evaluation.shopper import OPENCV_SAMPLES, WORN_CATEGORIES
from stylelens.vision.palette import COLOR_NAMES, PALETTE, hex_to_rgb

RGB = NDArray[np.uint8]
BoolArray = NDArray[np.bool_]
Box = tuple[float, float, float, float]  # x0, y0, x1, y1 as fractions of the photo
__all__ = ["HELD_OUT", "Composite", "Garment", "compose", "product_splits", "synthesize", "write_dataset"]

LABELS: Final[tuple[str, str]] = ("background", "garment")
STYLES: Final[tuple[str, ...]] = ("scene", "sheet", "worn")
STYLE_WEIGHTS: Final[tuple[float, ...]] = (0.5, 0.25, 0.25)
SPLIT_SHARES: Final[dict[str, float]] = {"test": 0.15, "val": 0.10}  # of the products; the rest trains
SOURCES: Final[tuple[SourceInfo, ...]] = (
    SourceInfo("demo-catalog", "synthetic", "MIT (Fashion-MNIST shapes)", "stylelens.catalog.demo packshots"),
    SourceInfo("scikit-image-data", "photo", "CC0 / public domain (skimage.data)", "skimage.data scenes"),
    SourceInfo("scikit-learn-samples", "photo", "CC BY 2.0", "sklearn.datasets.load_sample_image"),
    SourceInfo("matplotlib-sample", "photo", "public domain (U.S. Navy)", "matplotlib sample_data/grace_hopper.jpg"),
    SourceInfo("opencv-samples", "photo", "see /usr/share/doc/opencv-doc/copyright", str(OPENCV_SAMPLES)),
)


@dataclass(frozen=True)
class Garment:
    """A garment cut out of a packshot: RGB with the colour spread past the edge, and its exact mask."""

    product_id: str
    category: str
    rgb: RGB
    mask: BoolArray


@dataclass(frozen=True)
class Composite:
    """One synthetic photo, the exact mask of every garment in it, and how it was made."""

    image: Image.Image  # the photo after cast, blur, noise and JPEG
    clean: RGB  # the same before those: garment pixels exactly where `mask` is set
    backdrop: RGB  # the background alone: `clean` equals it wherever `mask` is not set
    mask: BoolArray
    products: tuple[str, ...]
    background: str
    style: str


def cut_out(item: DemoItem) -> Garment:
    """The catalog photo's garment, cropped to its mask."""
    return _garment(item.product.product_id, item.product.category, np.asarray(item.image), item.mask)


def variant(item: DemoItem, rng: np.random.Generator) -> Garment:
    """The same garment shape re-rendered in other colours and pattern, or with its hue shifted."""
    if rng.random() < 0.5:
        hsv = np.asarray(item.image.convert("HSV")).copy()
        hsv[..., 0] = (hsv[..., 0].astype(int) + int(rng.integers(20, 236))) % 256
        hsv[..., 1] = np.clip(hsv[..., 1] * rng.uniform(0.6, 1.3), 0, 255)
        rgb = np.asarray(Image.fromarray(hsv, "HSV").convert("RGB"))
        return _garment(item.product.product_id, item.product.category, rgb, item.mask)
    grey = _fashion_mnist()[item.product.source_index]
    base, motif = (hex_to_rgb(PALETTE[COLOR_NAMES[int(i)]]) for i in rng.integers(len(COLOR_NAMES), size=2))
    photo, mask = render_packshot(grey, base, motif, PATTERNS[int(rng.integers(len(PATTERNS)))], rng)
    return _garment(item.product.product_id, item.product.category, np.asarray(photo), mask)


def _garment(product_id: str, category: str, rgb: RGB, mask: BoolArray) -> Garment:
    rows, cols = np.nonzero(mask)
    box = (slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1))
    crop, inside = rgb[box], mask[box]
    # Spread the edge colour outwards so resampling never blends in the studio backdrop.
    _, (iy, ix) = _edt_indices(~inside)
    return Garment(product_id, category, np.ascontiguousarray(crop[iy, ix]), inside.copy())


def _edt_indices(outside: BoolArray) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    from scipy import ndimage

    dist, idx = ndimage.distance_transform_edt(outside, return_indices=True)
    return dist, idx


def compose(
    garments: Sequence[Garment], backdrop: RGB, background: str, style: str, rng: np.random.Generator,
    torso: Box | None = None,
) -> Composite:  # fmt: skip
    """Paste the garments (later ones on top) onto a square backdrop; then degrade the photo like a phone."""
    side = backdrop.shape[0]
    clean, mask = backdrop.copy(), np.zeros(backdrop.shape[:2], bool)
    for index, garment in enumerate(garments):
        placed, matrix = _placement(garment, side, rng, torso if index == 0 else None)
        rgb, alpha = _warp(placed, matrix, side)
        clean[alpha] = rgb[alpha]
        mask |= alpha
    image = _degrade(clean, rng)
    products = tuple(g.product_id for g in garments)
    return Composite(image, clean, backdrop, mask, products, background, style)


def _placement(
    garment: Garment, side: int, rng: np.random.Generator, torso: Box | None
) -> tuple[Garment, NDArray[np.float64]]:
    """The garment resized to its size in the photo, and a perspective matrix placing it: turn, jitter, position."""
    h, w = garment.mask.shape
    if torso is None:
        scale = rng.uniform(0.3, 0.85) * side / max(h, w)
        turn, jitter = np.radians(rng.uniform(-30, 30)), 0.08
        reach = 0.5 * scale * max(h, w) * 0.6
        centre = rng.uniform(reach, side - reach, size=2)
    else:  # worn: across the torso box (fractions of the photo), top edge near the shoulders
        x0, y0, x1, y1 = (v * side for v in torso)
        scale = min((x1 - x0) / w, (y1 - y0) / h) * rng.uniform(0.95, 1.15)
        turn, jitter = np.radians(rng.uniform(-6, 6)), 0.04
        centre = np.array([(x0 + x1) / 2 + rng.uniform(-0.03, 0.03) * side, y0 + 0.5 * scale * h])
    garment = _resized(garment, scale)
    h, w = garment.mask.shape
    corners = np.array([[-w, -h], [w, -h], [w, h], [-w, h]], float) / 2
    corners += rng.uniform(-jitter, jitter, size=(4, 2)) * [w, h]
    rotation = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    target = corners @ rotation.T + centre
    source = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    return garment, np.asarray(cv2.getPerspectiveTransform(source, target.astype(np.float32)))


def _resized(garment: Garment, scale: float) -> Garment:
    """The garment at `scale` (area-averaged when shrinking, so prints do not alias)."""
    h, w = garment.mask.shape
    size = (max(2, round(w * scale)), max(2, round(h * scale)))
    rgb = np.asarray(
        cv2.resize(garment.rgb, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC), np.uint8
    )
    cover = cv2.resize(garment.mask.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    return Garment(garment.product_id, garment.category, rgb, cover >= 0.5)


def _warp(garment: Garment, matrix: NDArray[np.float64], side: int) -> tuple[RGB, BoolArray]:
    """The garment's colours and mask in photo coordinates; the mask is thresholded once, so it is exact."""
    rgb = cv2.warpPerspective(
        garment.rgb, matrix, (side, side), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    alpha = cv2.warpPerspective(garment.mask.astype(np.uint8) * 255, matrix, (side, side), flags=cv2.INTER_LINEAR)
    return np.asarray(rgb, np.uint8), np.asarray(alpha >= 128)


def _degrade(clean: RGB, rng: np.random.Generator) -> Image.Image:
    """A white-balance cast, an exposure change, a light gradient, blur, sensor noise and JPEG."""
    side = clean.shape[0]
    gains = rng.uniform(0.85, 1.15, size=3) * rng.uniform(0.8, 1.15)
    ramp = np.linspace(-1, 1, side)[:, None] * rng.uniform(-0.12, 0.12)
    photo = clean.astype(np.float32) * gains * (1 + ramp[..., None])
    sigma = float(rng.uniform(0.0, 1.3))
    if sigma > 0.3:
        photo = np.asarray(cv2.GaussianBlur(photo, (0, 0), sigma), np.float64)
    photo += rng.normal(0, rng.uniform(0, 5), size=photo.shape)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=int(rng.integers(50, 92)))
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def product_splits(count: int, seed: int) -> list[str]:
    """The split of each of `count` catalog products: a seeded shuffle, so every product sits in one split."""
    order = np.random.default_rng([seed, 11]).permutation(count)
    cuts = [round(count * SPLIT_SHARES["test"]), round(count * (SPLIT_SHARES["test"] + SPLIT_SHARES["val"]))]
    splits = [""] * count
    for rank, index in enumerate(order):
        splits[int(index)] = "test" if rank < cuts[0] else "val" if rank < cuts[1] else "train"
    return splits


def synthesize(
    products: int = 400, per_product: int = 4, side: int = 256, seed: int = 0, catalog_seed: int = 7
) -> Iterator[tuple[str, Composite]]:
    """(split, composite) pairs: `per_product` photos of each of the first `products` demo products."""
    items = list(demo_products(seed=catalog_seed, count=products))
    splits = product_splits(products, seed)
    pools = {s: [i for i, sp in enumerate(splits) if sp == s] for s in ("train", "val", "test")}
    for index, item in enumerate(items):
        split = splits[index]
        for shot in range(per_product):
            rng = np.random.default_rng([seed, index, shot])
            yield split, _one(item, items, pools[split], split, side, rng)


def _one(item: DemoItem, items: list[DemoItem], pool: list[int], split: str, side: int,
         rng: np.random.Generator) -> Composite:  # fmt: skip
    style = STYLES[int(rng.choice(len(STYLES), p=STYLE_WEIGHTS))]
    if style == "worn" and item.product.category not in WORN_CATEGORIES:
        style = "scene"
    backdrop, background, torso = backdrop_for(style, side, rng, test=split == "test")
    garments = [cut_out(item) if rng.random() < 0.5 else variant(item, rng)]
    if style != "worn" and rng.random() < 0.3:  # a second garment from the same split, maybe overlapping
        other = items[pool[int(rng.integers(len(pool)))]]
        garments.append(cut_out(other) if rng.random() < 0.5 else variant(other, rng))
    return compose(garments, backdrop, background, style, rng, torso)


def write_dataset(
    root: Path, *, name: str = "synthetic-garments", overwrite: bool = False,
    on_item: Callable[[], None] | None = None, **options: int,
) -> Dataset:  # fmt: skip
    """Write `synthesize(**options)` as a stylelens segmentation dataset at `root` and open it.

    The dataset's sources record the exact `stylelens data synth` command that rebuilds it.
    """
    flags = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in sorted(options.items()))
    recipe = SourceInfo("synthetic-composites", "synthetic", "MIT", f"stylelens data synth --name {name} {flags}")
    with DatasetWriter(root, name=name, task="segmentation", labels=list(LABELS), sources=[*SOURCES, recipe],
                       overwrite=overwrite, phash=False) as writer:  # fmt: skip
        for number, (split, shot) in enumerate(synthesize(**options)):
            writer.add(
                shot.image, split=split, mask=shot.mask, group=shot.products[0], id=f"synth-{number:06d}",
                source="synthetic-composite", licence="MIT (composite); backgrounds as listed in sources",
                attributes={"products": list(shot.products), "background": shot.background, "style": shot.style},
            )  # fmt: skip
            if on_item:
                on_item()
    return Dataset.open(root)


@lru_cache(maxsize=1)
def _fashion_mnist() -> NDArray[np.uint8]:
    return load_fashion_mnist("train")[0]
