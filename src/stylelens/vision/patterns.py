"""Reading a fabric's pattern: solid, striped, checked, dotted, floral/print or graphic.

A texture descriptor of the garment's masked pixels (orientation histogram of gradients, how concentrated it
is, the spectrum's energy by frequency and direction, and colour contrast) joins the backbone's embedding;
a small softmax head trained with the category head (`pattern.npz`) names the pattern.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from stylelens.vision.foreground import mask_box

FloatArray = NDArray[np.float32]

PATTERN_NAMES: Final[tuple[str, ...]] = ("solid", "striped", "checked", "dotted", "floral", "graphic")
SIDE: Final[int] = 96  # the garment box is read at this size
ORIENTATIONS: Final[int] = 8
RADII: Final[tuple[float, ...]] = (2, 5, 10, 20, 48)  # spectrum rings, in cycles per box


def _ring_masks() -> tuple[NDArray[np.bool_], ...]:
    """The spectrum's frequency rings (fixed by SIDE and RADII: built once, at import)."""
    fy, fx = np.mgrid[-SIDE // 2 : SIDE // 2, -SIDE // 2 : SIDE // 2]
    radius = np.hypot(fx, fy)
    return tuple((radius >= a) & (radius < b) for a, b in zip(RADII[:-1], RADII[1:], strict=True))


_RINGS: Final = _ring_masks()


def texture_features(rgb: NDArray[np.uint8], mask: NDArray[np.bool_]) -> FloatArray:
    """A fixed-length texture descriptor of the masked garment (float32, 25 values)."""
    x, y, w, h = mask_box(mask)
    crop = Image.fromarray(np.ascontiguousarray(rgb[y : y + h, x : x + w, :3])).resize((SIDE, SIDE))
    inside = np.asarray(Image.fromarray(mask[y : y + h, x : x + w].astype(np.uint8) * 255).resize((SIDE, SIDE))) > 127
    if inside.sum() < 32:
        inside = np.ones_like(inside)
    grey = np.asarray(crop.convert("L"), np.float32) / 255.0
    fill = float(grey[inside].mean())
    grey = np.where(inside, grey, fill)
    gy, gx = np.gradient(grey)
    magnitude = np.hypot(gx, gy) * inside
    angle = np.mod(np.arctan2(gy, gx), np.pi)
    bins = np.minimum((angle / np.pi * ORIENTATIONS).astype(int), ORIENTATIONS - 1)
    hist = np.bincount(bins.ravel(), weights=magnitude.ravel(), minlength=ORIENTATIONS)
    total = hist.sum() + 1e-6
    ordered = np.sort(hist / total)[::-1]
    spectrum = np.abs(np.fft.fftshift(np.fft.fft2(grey - fill)))
    rings = [spectrum[ring].sum() for ring in _RINGS]
    ring_share = np.asarray(rings) / (sum(rings) + 1e-6)
    peak = [spectrum[ring].max() / (spectrum[ring].mean() + 1e-6) for ring in _RINGS]
    values = grey[inside]
    lab_spread = np.asarray(crop, np.float32)[inside].std(axis=0) / 64.0
    edge_density = float((magnitude > 0.08).sum() / inside.sum())
    stats = [values.std() * 4, edge_density, float(magnitude.sum() / inside.sum()) * 10, *lab_spread]
    features = np.concatenate([ordered, ring_share, np.log1p(peak), stats, [ordered[0] / (ordered[-1] + 1e-3) / 10]])
    return np.asarray(features[:25], np.float32) if len(features) >= 25 else np.pad(features, (0, 25 - len(features)))
