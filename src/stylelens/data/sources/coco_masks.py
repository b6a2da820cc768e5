"""COCO instance masks to pixels, without pycocotools: polygons, uncompressed RLE and compressed RLE.

COCO stores run lengths in column-major order (down the first column, then the next), starting with a run of
background. Compressed RLE packs those counts as a string: 5 bits per character plus a continuation bit,
each count after the second stored as the difference from the count two before (pycocotools' rleFrString).
Polygons are filled with Pillow, which may differ from pycocotools by a pixel along the outline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from PIL import Image, ImageDraw


def annotation_mask(segmentation: Any, height: int, width: int) -> np.ndarray:
    """The boolean (height, width) mask of one annotation's `segmentation` (polygons or RLE)."""
    if isinstance(segmentation, Mapping):
        mask = rle_mask(segmentation)
        if mask.shape != (height, width):
            raise ValueError(f"RLE size {list(mask.shape)} differs from the image's {[height, width]}")
        return mask
    if isinstance(segmentation, Sequence) and not isinstance(segmentation, str | bytes):
        return polygon_mask(segmentation, height, width)
    raise ValueError("segmentation is neither polygons nor RLE")


def polygon_mask(polygons: Sequence[Sequence[float]], height: int, width: int) -> np.ndarray:
    """Fill COCO polygons ([x1, y1, x2, y2, ...] each) into a boolean (height, width) mask."""
    canvas = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    for polygon in polygons:
        if len(polygon) < 6 or len(polygon) % 2:
            raise ValueError("a polygon needs at least three x, y points")
        points = [(float(polygon[i]), float(polygon[i + 1])) for i in range(0, len(polygon), 2)]
        draw.polygon(points, fill=255, outline=255)
    return np.asarray(canvas) > 0


def rle_mask(rle: Mapping[str, Any]) -> np.ndarray:
    """Decode a COCO RLE ({"size": [h, w], "counts": [..] or "..."}) into a boolean (h, w) mask."""
    height, width = (int(v) for v in rle["size"])
    counts = rle["counts"]
    runs = decode_counts(counts) if isinstance(counts, str | bytes) else [int(c) for c in counts]
    if any(c < 0 for c in runs) or sum(runs) != height * width:
        raise ValueError(f"RLE counts cover {sum(runs)} pixels, the mask has {height * width}")
    values = np.zeros(len(runs), dtype=bool)
    values[1::2] = True  # runs alternate background, garment, background...
    flat = np.repeat(values, runs)
    return flat.reshape((width, height)).T  # column-major


def decode_counts(text: str | bytes) -> list[int]:
    """The run lengths packed in a compressed COCO RLE string."""
    data = text.encode("ascii") if isinstance(text, str) else bytes(text)
    counts: list[int] = []
    position = 0
    while position < len(data):
        value, shift, more = 0, 0, True
        while more:
            if position >= len(data):
                raise ValueError("compressed RLE ends in the middle of a count")
            chunk = data[position] - 48
            value |= (chunk & 0x1F) << shift
            more = bool(chunk & 0x20)
            position += 1
            shift += 5
            if not more and chunk & 0x10:
                value |= -1 << shift  # negative: sign-extend
        if len(counts) > 2:
            value += counts[-2]
        counts.append(value)
    return counts
