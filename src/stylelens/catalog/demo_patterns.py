"""The fabric patterns of the demo catalog, as coverage maps: 0 shows the base colour, 1 the motif colour.

Repeating patterns (stripes, checks, dots, flowers) are drawn once per scale into a cached sheet and cut out
at a per-product offset; graphic prints are drawn per product around the chest. Everything is vectorised
numpy, antialiased over about one pixel, and deterministic.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

import numpy as np

PATTERNS: Final[tuple[str, ...]] = ("solid", "striped", "checked", "dotted", "floral", "graphic")

# Pattern -> the repeat lengths (pixels on the 512-pixel photo) and the number of drawing variants.
PERIODS: Final[dict[str, tuple[int, ...]]] = {
    "striped": (18, 26, 36),
    "checked": (30, 42),
    "dotted": (26, 36),
    "floral": (64, 84),
}
VARIANTS: Final[dict[str, int]] = {"striped": 3, "checked": 2, "dotted": 1, "floral": 2}
GRAPHICS: Final[tuple[str, ...]] = ("bullseye", "star", "band", "frame")
SHEET: Final[int] = 640  # side of a cached sheet: the largest garment box (512) plus the largest period


def pattern_map(
    pattern: str, height: int, width: int, rng: np.random.Generator, centre: tuple[float, float] | None = None
) -> np.ndarray:
    """Where the motif colour shows on a garment box of this size: float32 (height, width) in [0, 1].

    centre (row, column) is where a graphic print goes; by default the chest of a top.
    """
    if pattern == "solid":
        return np.zeros((height, width), np.float32)
    if pattern == "graphic":
        return _graphic(height, width, rng, centre or (0.42 * height, 0.5 * width))
    period = int(rng.choice(PERIODS[pattern]))
    variant = int(rng.integers(VARIANTS[pattern]))
    dy, dx = (int(v) for v in rng.integers(0, period, size=2))
    sheet = _sheet(pattern, period, variant)
    return sheet[dy : dy + height, dx : dx + width].astype(np.float32) * np.float32(1 / 255)


def _soft(inside: np.ndarray) -> np.ndarray:
    """Signed distance (pixels, > 0 inside a shape) -> coverage with a one-pixel antialiased edge."""
    return np.clip(inside + 0.5, 0.0, 1.0).astype(np.float32)


def _band(coord: np.ndarray, period: float, width: float) -> np.ndarray:
    """Coverage of parallel bands of the given width, one per period along coord."""
    offset = np.abs(np.mod(coord, period) - period / 2)
    return _soft(width / 2 - offset)


@lru_cache(maxsize=32)
def _sheet(pattern: str, period: int, variant: int) -> np.ndarray:
    """One cached SHEET x SHEET coverage map (uint8, read-only) of a repeating pattern."""
    y, x = np.mgrid[0:SHEET, 0:SHEET].astype(np.float32)
    if pattern == "striped":
        coord = (y, x, (x + y) * np.float32(np.sqrt(0.5)))[variant]
        cover = _band(coord, period, 0.4 * period)
    elif pattern == "checked":
        if variant == 0:  # gingham: crossing bands mix into a middle tone
            cover = 0.5 * (_band(y, period, period / 3) + _band(x, period, period / 3))
        else:  # windowpane: thin crossing lines
            cover = np.maximum(_band(y, period, 3.0), _band(x, period, 3.0))
    elif pattern == "dotted":
        cover = _dots(y, x, period)
    elif pattern == "floral":
        cover = _flowers(y, x, period, variant)
    else:
        raise ValueError(f"no repeating sheet for pattern {pattern!r}")
    out = np.round(cover * 255).astype(np.uint8)
    out.flags.writeable = False
    return out


def _dots(y: np.ndarray, x: np.ndarray, period: int) -> np.ndarray:
    """Polka dots on a staggered lattice, about a quarter of the fabric."""
    row = np.floor(y / period)
    dx = np.mod(x + (row % 2) * (period / 2), period) - period / 2
    dy = np.mod(y, period) - period / 2
    return _soft(0.27 * period - np.hypot(dx, dy))


def _flowers(y: np.ndarray, x: np.ndarray, period: int, variant: int) -> np.ndarray:
    """Five-petal flowers with open hearts, jittered on a staggered lattice, plus small buds between them."""
    cells = SHEET // period + 2
    rng = np.random.default_rng([period, variant, 17])  # fixed: the print is the same on every product
    jitter = rng.uniform(-0.08, 0.08, size=(cells, cells, 2)) * period
    turn = rng.uniform(0, 2 * np.pi, size=(cells, cells))
    size = rng.uniform(0.85, 1.1, size=(cells, cells)) * 0.3 * period
    row = np.floor(y / period).astype(np.intp)
    shifted = x + (row % 2) * (period / 2)
    col = np.floor(shifted / period).astype(np.intp)
    dx = np.mod(shifted, period) - period / 2 - jitter[row, col, 0]
    dy = np.mod(y, period) - period / 2 - jitter[row, col, 1]
    radius = np.hypot(dx, dy)
    angle = np.arctan2(dy, dx) - turn[row, col]
    petals = 5 if variant == 0 else 6
    outline = size[row, col] * (0.45 + 0.55 * np.abs(np.cos(petals / 2 * angle)))
    flower = np.minimum(_soft(outline - radius), _soft(radius - 0.2 * size[row, col]))
    half = period / 2
    bud = _soft(0.07 * period - np.hypot(np.mod(x, period) - half, np.mod(y + half, period) - half))
    return np.asarray(np.maximum(flower, bud), np.float32)


def _graphic(height: int, width: int, rng: np.random.Generator, centre: tuple[float, float]) -> np.ndarray:
    """One large print on the chest (or the middle of a shoe or bag): bullseye, star, band or frame."""
    kind = GRAPHICS[int(rng.integers(len(GRAPHICS)))]
    cy, cx = centre
    size = float(rng.uniform(0.17, 0.23)) * min(height, width)
    out = np.zeros((height, width), np.float32)
    if kind == "band":  # a wide chest band with a thin one under it, across the whole garment
        y = np.arange(height, dtype=np.float32)[:, None] - cy
        cover = np.maximum(_soft(0.35 * size - np.abs(y)), _soft(0.08 * size - np.abs(y - 0.7 * size)))
        out[:] = cover
        return out
    top, left = max(0, int(cy - size) - 2), max(0, int(cx - size) - 2)
    bottom, right = min(height, int(cy + size) + 3), min(width, int(cx + size) + 3)
    y, x = np.mgrid[top:bottom, left:right].astype(np.float32)
    dy, dx = y - cy, x - cx
    radius = np.hypot(dx, dy)
    if kind == "bullseye":  # a ring around a disc
        ring = np.minimum(_soft(size - radius), _soft(radius - 0.7 * size))
        cover = np.maximum(ring, _soft(0.35 * size - radius))
    elif kind == "star":
        spoke = np.mod(np.arctan2(dx, -dy) * np.float32(5 / (2 * np.pi)), 1.0)
        cover = _soft(size * (0.45 + 0.55 * np.abs(2 * spoke - 1) ** 1.5) - radius)
    else:  # frame: a square outline with a solid block inside, like a logo patch
        edge = np.maximum(np.abs(dx), np.abs(dy))
        frame = np.minimum(_soft(size - edge), _soft(edge - 0.8 * size))
        cover = np.maximum(frame, _soft(0.5 * size - edge))
    out[top:bottom, left:right] = cover
    return out
