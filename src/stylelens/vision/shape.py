"""A garment's silhouette as numbers: what tells a coat from a shirt when colour and print say nothing.

The mask's bounding box is resized to a small square grid of coverage values (how much of each cell is
garment), joined by the box's aspect ratio, how full the box is, and the fabric's lightness in each cell
(folds, collars, pockets), normalised so the garment's colour does not count.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from stylelens.vision.foreground import mask_box

GRID: Final[int] = 16
SHAPE_FEATURES: Final[int] = 2 * GRID * GRID + 2


def shape_features(rgb: NDArray[np.uint8], mask: NDArray[np.bool_]) -> NDArray[np.float32]:
    """Silhouette and shading descriptor of the masked garment (float32, SHAPE_FEATURES values).

    Only the garment's square box is read (the rest of the photo never counts), so a garment in a large photo
    costs what it would on its own.
    """
    x, y, w, h = mask_box(mask)
    side = max(w, h)
    cx, cy = x + w / 2, y + h / 2
    box = (round(cx - side / 2), round(cy - side / 2), round(cx + side / 2), round(cy + side / 2))  # square
    height, width = mask.shape
    x0, y0, x1, y1 = max(0, box[0]), max(0, box[1]), min(width, box[2]), min(height, box[3])
    inner = (box[0] - x0, box[1] - y0, box[2] - x0, box[3] - y0)  # the square, relative to the part read
    part_mask = mask[y0:y1, x0:x1]
    part = Image.fromarray(part_mask.astype(np.uint8) * 255).crop(inner)  # crop pads with 0 outside the photo
    coverage = np.asarray(part.resize((GRID, GRID), Image.Resampling.BOX), np.float32) / 255.0
    grey = np.asarray(Image.fromarray(np.ascontiguousarray(rgb[y0:y1, x0:x1, :3])).convert("L"), np.float32)
    inside = grey[part_mask] if mask.any() else _grey(rgb).ravel()
    norm = (grey - float(np.median(inside))) / (float(inside.std()) + 8.0)
    shaded = Image.fromarray(np.where(part_mask, norm, 0.0).astype(np.float32), mode="F")
    shading = np.asarray(shaded.crop(inner).resize((GRID, GRID), Image.Resampling.BOX), np.float32)
    extra = [np.log(max(h, 1) / max(w, 1)), float(mask.sum()) / max(w * h, 1)]
    return np.concatenate([coverage.ravel(), shading.ravel(), np.asarray(extra, np.float32)]).astype(np.float32)


def _grey(rgb: NDArray[np.uint8]) -> NDArray[np.float32]:
    return np.asarray(Image.fromarray(np.ascontiguousarray(rgb[..., :3])).convert("L"), np.float32)
