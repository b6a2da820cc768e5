"""Where each garment a person wears lies: boxes from body landmarks, masks from the person mask.

Upper body (shoulders to hips, arms included), lower body (hips to ankles), full length (a dress or a coat:
shoulders to knees or ankles), feet (shoes) and, near each wrist, a place a carried bag may hang (kept only
when the category model sees a bag there). Each mask is the person mask inside the box, without skin and
without faces (for a top, only the colours that fill the torso's middle), so colours, pattern and embedding read
the fabric.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from stylelens.vision import person as lm
from stylelens.vision.colors import squared_distances, srgb_to_lab
from stylelens.vision.person import PersonReading, skin_mask

BoolArray = NDArray[np.bool_]
Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive)

PERSON_THRESHOLD: Final[float] = 0.5
MIN_PIXELS: Final[int] = 64  # a region with fewer garment pixels than this is not reported
MIN_FABRIC_SHARE: Final[float] = 0.3  # skin removal never leaves less than this share of the region
TORSO_COLOURS: Final[int] = 5
TORSO_SIDE: Final[int] = 160  # the top's fabric is found on a copy about this many pixels a side
TORSO_SHARE: Final[float] = 0.12  # a colour this present in the torso's middle is part of the top


@dataclass(frozen=True)
class GarmentRegion:
    """One place on a person where a garment is: its kind, box and mask (the photo's size)."""

    kind: str  # "upper", "lower", "full", "feet", "bag"
    box: Box
    mask: BoolArray


def person_regions(
    rgb: NDArray[np.uint8], reading: PersonReading, faces: list[Box] | None = None
) -> list[GarmentRegion]:
    """The garment regions of the person in the photo, upper body first."""
    height, width = rgb.shape[:2]
    body = reading.mask >= PERSON_THRESHOLD
    fabric = body & ~skin_mask(rgb)
    for x0, y0, x1, y1 in faces or []:
        fabric[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)] = False
    regions = []
    for kind, box in _boxes(reading, width, height):
        x0, y0, x1, y1 = box  # only the box is read: the rest of the photo is outside every mask
        person_part, part = body[y0:y1, x0:x1], fabric[y0:y1, x0:x1]
        if kind == "bag":
            part = np.ones_like(person_part)  # a bag is beside the body as often as on it
        elif part.sum() < MIN_FABRIC_SHARE * person_part.sum():
            part = person_part  # skin-coloured fabric: keep the person's pixels rather than nothing
        if int(part.sum()) < MIN_PIXELS:
            continue
        mask = np.zeros_like(body)
        mask[y0:y1, x0:x1] = part
        # The box shows where the garment is on the body; the mask that colours, pattern and embedding read is,
        # for a top, only its fabric (a jacket worn open or a strap across it would otherwise be mixed in).
        tight = _tight(part, box)
        if kind == "upper":
            mask = _torso_fabric(rgb, mask, reading)
        regions.append(GarmentRegion(kind, tight, mask))
    return regions


def _boxes(reading: PersonReading, width: int, height: int) -> list[tuple[str, Box]]:
    """Region boxes from the landmarks that are in view."""
    seen = reading.visible
    shoulders = [reading.point(p) for p in (lm.L_SHOULDER, lm.R_SHOULDER) if seen(p)]
    if not shoulders:
        return []
    hips = [reading.point(p) for p in (lm.L_HIP, lm.R_HIP) if seen(p)]
    top = min(y for _, y in shoulders)
    span = max(abs(shoulders[0][0] - shoulders[-1][0]), 0.15 * width if len(shoulders) == 1 else 1.0)
    torso = (float(np.mean([y for _, y in hips])) - top) if hips else 1.6 * span
    torso = max(torso, 0.5 * span)
    arms = [reading.point(p) for p in (lm.L_ELBOW, lm.R_ELBOW, lm.L_WRIST, lm.R_WRIST) if seen(p)]
    xs = [x for x, _ in shoulders + hips + arms]
    hip_y = top + torso
    boxes: list[tuple[str, Box]] = []
    upper = (min(xs) - 0.2 * span, top - 0.12 * torso, max(xs) + 0.2 * span, hip_y + 0.15 * torso)
    boxes.append(("upper", _clip(upper, width, height)))
    legs = [reading.point(p) for p in (lm.L_KNEE, lm.R_KNEE, lm.L_ANKLE, lm.R_ANKLE) if seen(p)]
    if hips and legs:
        bottom = max(y for _, y in legs)
        leg_xs = [x for x, _ in hips + legs]
        reach = 0.1 * torso if any(seen(p) for p in (lm.L_ANKLE, lm.R_ANKLE)) else 0.25 * torso
        lower = (min(leg_xs) - 0.35 * span, hip_y - 0.1 * torso, max(leg_xs) + 0.35 * span, bottom + reach)
        boxes.append(("lower", _clip(lower, width, height)))
        full = (min(xs + leg_xs) - 0.2 * span, top - 0.12 * torso, max(xs + leg_xs) + 0.2 * span, bottom + reach)
        boxes.append(("full", _clip(full, width, height)))
    feet = [reading.point(p) for p in (lm.L_ANKLE, lm.R_ANKLE, lm.L_HEEL, lm.R_HEEL, lm.L_FOOT, lm.R_FOOT) if seen(p)]
    if len(feet) >= 3:
        fx, fy = [x for x, _ in feet], [y for _, y in feet]
        pad = 0.12 * torso
        boxes.append(("feet", _clip((min(fx) - pad, min(fy) - pad, max(fx) + pad, max(fy) + pad), width, height)))
    for wrist in (lm.L_WRIST, lm.R_WRIST):
        if seen(wrist):
            x, y = reading.point(wrist)
            side = 0.45 * torso
            boxes.append(("bag", _clip((x - side, y - 0.3 * side, x + side, y + 1.5 * side), width, height)))
    return [(kind, box) for kind, box in boxes if box[2] - box[0] >= 8 and box[3] - box[1] >= 8]


def _clip(box: tuple[float, float, float, float], width: int, height: int) -> Box:
    x0, y0, x1, y1 = box
    return (
        int(max(0, min(width, round(x0)))),
        int(max(0, min(height, round(y0)))),
        int(max(0, min(width, round(x1)))),
        int(max(0, min(height, round(y1)))),
    )


def _tight(part: BoolArray, box: Box) -> Box:
    """The box shrunk to its mask's pixels (`part`: the mask inside the box), not the landmark box's corners."""
    rows, cols = np.flatnonzero(part.any(axis=1)), np.flatnonzero(part.any(axis=0))
    if len(rows) == 0:
        return box
    return box[0] + int(cols[0]), box[1] + int(rows[0]), box[0] + int(cols[-1]) + 1, box[1] + int(rows[-1]) + 1


def _torso_fabric(rgb: NDArray[np.uint8], mask: BoolArray, reading: PersonReading) -> BoolArray:
    """The top itself: the colours that fill the middle of the torso, joined to it (not a jacket's edge or a strap).

    The region's pixels are clustered by colour; clusters that cover a fair share of the torso's middle are the
    top's fabric (several for a print), and only the pieces of it that touch the middle are kept.
    """
    shoulders = [reading.point(p) for p in (lm.L_SHOULDER, lm.R_SHOULDER) if reading.visible(p)]
    hips = [reading.point(p) for p in (lm.L_HIP, lm.R_HIP) if reading.visible(p)]
    if len(shoulders) < 2 or not mask.any():
        return mask
    full_mask, step = mask, max(1, round(max(mask.shape) / TORSO_SIDE))  # work on a reduced copy: cheap
    rgb, mask = rgb[::step, ::step], mask[::step, ::step]
    shoulders = [(x / step, y / step) for x, y in shoulders]
    hips = [(x / step, y / step) for x, y in hips]
    xs = sorted(x for x, _ in shoulders)
    top = max(y for _, y in shoulders)
    bottom = float(np.mean([y for _, y in hips])) if hips else top + 1.5 * (xs[1] - xs[0])
    span = xs[1] - xs[0]
    middle = np.zeros_like(mask)
    y0, y1 = int(top + 0.15 * (bottom - top)), int(top + 0.7 * (bottom - top))
    x0, x1 = int(xs[0] + 0.3 * span), int(xs[1] - 0.3 * span)
    middle[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)] = True
    middle &= mask
    if middle.sum() < MIN_PIXELS // 4:
        return full_mask
    lab = srgb_to_lab(rgb[mask])
    centres = _centres(lab, TORSO_COLOURS)
    labels = squared_distances(lab, centres).argmin(1)
    full = np.full(mask.shape, -1)
    full[mask] = labels
    shares = np.bincount(full[middle], minlength=len(centres)) / middle.sum()
    fabric = mask & np.isin(full, np.flatnonzero(shares >= TORSO_SHARE))
    pieces, _ = ndimage.label(fabric)
    touching = np.unique(pieces[middle & fabric])
    kept = np.isin(pieces, touching[touching > 0])
    if kept.sum() < MIN_FABRIC_SHARE * mask.sum() * 0.5:
        return full_mask
    grown = np.repeat(np.repeat(kept, step, axis=0), step, axis=1)[: full_mask.shape[0], : full_mask.shape[1]]
    return np.asarray(full_mask & grown)


def _centres(lab: NDArray[np.float64], k: int) -> NDArray[np.float64]:
    """k colour centres of the pixels (a few rounds of k-means on a fixed sample; deterministic)."""
    rng = np.random.default_rng(0)
    sample = lab[rng.integers(len(lab), size=min(len(lab), 2000))]
    order = np.argsort(sample[:, 0])  # seeds spread from the darkest to the lightest pixel
    centres = sample[order[np.linspace(0, len(sample) - 1, k).astype(int)]]
    for _ in range(8):
        labels = squared_distances(sample, centres).argmin(1)
        counts = np.bincount(labels, minlength=k)[:, None]
        sums = np.stack([np.bincount(labels, weights=sample[:, d], minlength=k) for d in range(3)], axis=1)
        centres = np.where(counts > 0, sums / np.maximum(counts, 1), centres)
    return np.asarray(centres)
