"""Turn one 28x28 Fashion-MNIST garment into a 512x512 colour packshot on a light studio background.

The grey picture is cleaned, enlarged with bicubic interpolation and thresholded, so the outline is smooth;
the garment is filled with its colour and pattern and shaded with the original grey (folds and seams show);
it sits on an off-white or light grey background with a soft shadow. The returned mask is exact.
"""

from __future__ import annotations

from typing import Final, NamedTuple

import numpy as np
from PIL import Image, ImageFilter
from scipy import ndimage

from stylelens.catalog.demo_patterns import pattern_map

SIZE: Final[int] = 512  # side of every demo photo, pixels
_PAD: Final[int] = 2  # empty source pixels kept around the garment so the enlarged edge fades out
_TINY_HOLE: Final[int] = 10  # empty holes up to this many source pixels are dark fabric, not gaps
_THRESHOLD: Final[float] = 0.15  # the outline, as a share of the garment's typical brightness
_CAP: Final[float] = 0.6  # brighter than this share counts as plain fabric
_SMOOTH: Final[float] = 0.6  # blur of the outline, in source pixels: round curves, no staircase
_FLAT: Final[float] = 0.05  # slowest outline slope considered, so the antialiased rim stays one pixel wide
_SHADING_BLUR: Final[float] = 0.9  # softening of the folds, in source pixels: keeps folds, drops print noise
_RIM: Final[int] = 6  # the garment darkens slightly over this many pixels inside its outline
_RIM_DEPTH: Final[float] = 0.25
_HIGHLIGHT: Final[float] = 1.06  # the brightest a fold may light the fabric
_CONTRAST: Final[float] = 24.0  # white fabric stays this much darker than its backdrop (0..255)
_PALE: Final[int] = 200  # a colour whose every channel is above this is white-like
_PALE_DEPTH: Final[float] = 0.3  # white-like fabric shades this much as deeply as other colours
_SHADOW_SCALE: Final[int] = 8  # the shadow is blurred on a 64x64 copy: cheap and soft
_RGB = tuple[int, int, int]


class Silhouette(NamedTuple):
    """A cleaned 28x28 garment: its grey values, the outline level, and its typical brightness."""

    grey: np.ndarray  # float32, cropped to the garment plus _PAD empty pixels
    threshold: float
    level: float


def silhouette(grey: np.ndarray) -> Silhouette:
    """Drop stray specks, fill dark holes inside the garment, crop to it."""
    grey = grey.astype(np.float32)
    lit = grey[grey > 0]
    level = float(np.percentile(lit, 90)) if lit.size else 1.0
    threshold = max(4.0, _THRESHOLD * level)
    solid = grey >= threshold
    labels, count = ndimage.label(solid, structure=np.ones((3, 3)))
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    keep = (sizes >= 4)[labels] & solid
    filled = ndimage.binary_fill_holes(keep)
    gaps = filled & ~keep
    holes, _ = ndimage.label(gaps)
    tiny = (np.bincount(holes.ravel()) <= _TINY_HOLE)[holes] & gaps
    wide = ndimage.binary_opening(gaps, np.ones((2, 2)))
    filled &= keep | tiny | ~wide | (grey > 0)  # wide empty holes stay open: bag handles, between straps
    grey = np.where(filled & ~keep, np.maximum(grey, 1.5 * threshold), grey)
    grey = np.where(ndimage.binary_dilation(filled, np.ones((3, 3))), grey, 0).astype(np.float32)
    rows, cols = np.nonzero(filled) if filled.any() else (np.array([13, 14]), np.array([13, 14]))
    crop = grey[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    return Silhouette(np.pad(crop, _PAD), threshold, level)


def render_packshot(
    grey: np.ndarray, base: _RGB, motif: _RGB, pattern: str, rng: np.random.Generator
) -> tuple[Image.Image, np.ndarray]:
    """A 512x512 RGB product photo of the garment in its colours and pattern, and its exact bool mask."""
    shape = silhouette(grey)
    scale = float(rng.uniform(0.70, 0.86)) * SIZE / max(shape.grey.shape)
    mask, alpha = _outline(shape, scale)
    out_h, out_w = mask.shape
    pale = min(base) > _PALE or min(motif) > _PALE  # white fabric goes on the brightest backdrops
    backdrop = float(rng.uniform(250, 254) if pale else rng.uniform(232, 249))
    brightness = _enlarge(_shading_source(shape), out_w, out_h) / shape.level
    ceiling = backdrop - _CONTRAST if pale else 255.0  # only white could blend into the backdrop
    if min(base) > _PALE:  # white fabric: its brightest fold just under the ceiling, gentler folds
        shade = _shade(brightness, alpha, ceiling / max(base), _PALE_DEPTH)
    else:
        shade = _shade(brightness, alpha, _HIGHLIGHT, 1.0)
    cover = pattern_map(pattern, out_h, out_w, rng, _print_centre(shape, scale))
    garment = _colour(shade, cover, base, motif, ceiling)
    x0, y0 = _place(out_w, rng), _place(out_h, rng)
    photo = _background(backdrop, rng)
    _shadow(photo, alpha, x0, y0, rng)
    photo.paste(Image.fromarray(garment, "RGB"), (x0, y0), alpha)
    full = np.zeros((SIZE, SIZE), dtype=bool)
    full[y0 : y0 + out_h, x0 : x0 + out_w] = mask
    return photo, full


def _outline(shape: Silhouette, scale: float) -> tuple[np.ndarray, Image.Image]:
    """The enlarged garment outline: exact bool mask, and the same with a one-pixel antialiased edge."""
    height, width = shape.grey.shape
    out_w, out_h = max(8, round(width * scale)), max(8, round(height * scale))
    cap = _CAP * shape.level  # flat inside, so bright seams cannot ring into holes when enlarged
    outline = ndimage.gaussian_filter(np.minimum(shape.grey, np.float32(cap)), _SMOOTH)
    field = _enlarge(outline, out_w, out_h)
    rows, cols = np.gradient(outline)  # on the small picture: cheap, and smooth enough to enlarge
    slope = _enlarge(np.maximum(np.abs(rows) + np.abs(cols), np.float32(_FLAT * cap)), out_w, out_h)
    # The antialiased rim lies inside the mask: no garment colour ever shows outside it.
    alpha = np.clip((field - shape.threshold) * np.float32(255 * scale) / slope, 0, 255).astype(np.uint8)
    return field >= shape.threshold, Image.fromarray(alpha, "L")


def _print_centre(shape: Silhouette, scale: float) -> tuple[float, float]:
    """Where a graphic print goes: a little above the middle of the garment's fabric."""
    fabric = shape.grey >= shape.threshold
    height, width = shape.grey.shape
    row, col = ndimage.center_of_mass(fabric) if fabric.any() else (height / 2 - 0.5, width / 2 - 0.5)
    return (float(row) + 0.5 - 0.08 * height) * scale, (float(col) + 0.5) * scale


def _enlarge(grey: np.ndarray, width: int, height: int) -> np.ndarray:
    """Bicubic enlargement of a small float picture: smooth curves instead of square pixels."""
    return np.asarray(Image.fromarray(grey, "F").resize((width, height), Image.Resampling.BICUBIC))


def _shading_source(shape: Silhouette) -> np.ndarray:
    """The grey picture softened, and spread two pixels past the outline so edges do not turn dark."""
    grey = shape.grey
    spread = np.where(grey >= shape.threshold, grey, ndimage.grey_dilation(grey, size=(5, 5)))
    return np.asarray(ndimage.gaussian_filter(spread, _SHADING_BLUR), np.float32)


def _shade(brightness: np.ndarray, alpha: Image.Image, top: float, depth: float) -> np.ndarray:
    """How lit each fabric pixel is (up to top): folds from the grey picture, a little darker near the edge.

    depth 1 keeps the folds as deep as the grey picture says; smaller values soften them.
    """
    lit = np.clip(0.55 + 0.5 * np.sqrt(np.maximum(brightness, 0)), 0.55, _HIGHLIGHT)
    shade: np.ndarray = (top * (1 - depth * (1 - lit / _HIGHLIGHT))).astype(np.float32)
    rim = np.asarray(alpha.filter(ImageFilter.BoxBlur(_RIM)), np.float32) * np.float32(_RIM_DEPTH / 255)
    shade *= rim + np.float32(1 - _RIM_DEPTH)
    return shade


def _colour(shade: np.ndarray, cover: np.ndarray, base: _RGB, motif: _RGB, ceiling: float) -> np.ndarray:
    """Fill with the base colour, lay the motif where cover says, light it; no channel above ceiling."""
    rgb = np.empty((*shade.shape, 3), np.uint8)
    for channel, (b, m) in enumerate(zip(base, motif, strict=True)):
        value = shade * np.float32(b) if b == m else (np.float32(b) + np.float32(m - b) * cover) * shade
        rgb[..., channel] = np.minimum(value, np.float32(min(255.0, ceiling)))
    return rgb


def _place(extent: int, rng: np.random.Generator) -> int:
    """Where the garment box starts along one side: centred, nudged a little, never off the photo."""
    start = (SIZE - extent) / 2 + float(rng.uniform(-0.04, 0.04)) * SIZE
    return int(np.clip(round(start), 4, max(4, SIZE - extent - 4)))


def _background(level: float, rng: np.random.Generator) -> Image.Image:
    """A plain off-white or light grey studio background, a little brighter at the top."""
    tint = np.asarray(((2, 1, -2), (0, 0, 0), (-2, 0, 2), (0, 0, 0))[int(rng.integers(4))], np.float32)
    ramp = np.linspace(4, -4, SIZE, dtype=np.float32)[:, None] + level + tint
    column = np.clip(np.round(ramp), 0, 255).astype(np.uint8)[:, None, :]
    return Image.fromarray(column, "RGB").resize((SIZE, SIZE), Image.Resampling.NEAREST)


def _shadow(photo: Image.Image, alpha: Image.Image, x0: int, y0: int, rng: np.random.Generator) -> None:
    """Darken the background softly under and a little below-right of the garment."""
    small = Image.new("L", (SIZE // _SHADOW_SCALE,) * 2, 0)
    shrunk = alpha.reduce(_SHADOW_SCALE)
    dx, dy = float(rng.uniform(0.2, 0.8)), float(rng.uniform(0.5, 1.2))
    small.paste(shrunk, (round(x0 / _SHADOW_SCALE + dx), round(y0 / _SHADOW_SCALE + dy)))
    strength = float(rng.uniform(0.08, 0.14))
    soft = small.filter(ImageFilter.GaussianBlur(2.2)).point(lambda v: round(v * strength))
    shade = Image.new("RGB", photo.size, (40, 40, 40))
    photo.paste(shade, (0, 0), soft.resize(photo.size, Image.Resampling.BILINEAR))
