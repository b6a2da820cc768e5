"""Finding the garment in a packshot or flat-lay: everything that stands out from the plain background.

The background is modelled from the image border in CIELAB (a robust fit that tolerates a light gradient and
a garment touching the edge), pixels far from it are the garment, morphology removes specks and closes
seams, the largest piece or pieces are kept and holes filled. When the border is not plain (a garment on a
bed, a street, a sofa) or the result is implausible, GrabCut (OpenCV) separates the garment from the busy
background, seeded with the border as background; a centred ellipse stands in only when that fails too.
Work happens on a copy reduced to at most `WORK_SIDE` pixels a side; the mask is scaled back to the photo's size.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Final, NamedTuple

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image
from scipy import ndimage

from stylelens.vision.colors import row_norms, srgb_to_lab

BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]

WORK_SIDE: Final[int] = 128
BORDER: Final[float] = 0.04  # border band, as a fraction of the shorter side
MIN_DISTANCE: Final[float] = 12.0  # CIELAB distance from the background that always counts as garment
NOISE_FACTOR: Final[float] = 4.0  # ... or this many robust deviations of the background, if more
MIN_FRACTION: Final[float] = 0.01
MAX_FRACTION: Final[float] = 0.97
KEEP_RELATIVE: Final[float] = 0.25  # keep pieces at least this fraction of the largest (a pair of socks)
BUSY_SHARE: Final[float] = 0.25  # border pixels far from the border's median colour that make it busy
GRABCUT_ROUNDS: Final[int] = 3
GRABCUT_SIDE: Final[int] = 96  # GrabCut runs on an even smaller copy: its cost grows fast with pixels
LAB_BIN: Final[float] = 6.0  # CIELAB units per bin of the border colour grid
LAB_ORIGIN: Final = np.array([0.0, -128.0, -128.0])
LAB_GRID: Final[tuple[int, int, int]] = (18, 43, 43)
ELLIPSE_AXES: Final[float] = 0.42  # fallback ellipse semi-axes, as a fraction of width and height
_CROSS: Final = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))  # ndimage's generate_binary_structure(2, 1)


class Reduced(NamedTuple):
    """A photo's small working copy (at most WORK_SIDE a side) and its CIELAB values, made once per photo."""

    rgb: NDArray[np.uint8]
    lab: FloatArray


def reduce_photo(rgb: NDArray[np.uint8]) -> Reduced:
    """The small working copy every whole-photo test reads (mask, blank photo, person cue)."""
    small = _reduce(rgb)
    return Reduced(small, srgb_to_lab(small))


def garment_mask(rgb: NDArray[np.uint8], reduced: Reduced | None = None) -> BoolArray:
    """Which pixels of a product photo (H x W x 3, uint8) belong to the garment."""
    height, width = rgb.shape[:2]
    reduced = reduced if reduced is not None else reduce_photo(rgb)
    mask = plain_background_mask(rgb, reduced)
    if mask is not None:
        return mask
    mask = _largest(_clean(_grabcut(reduced.rgb)))
    fraction = float(mask.mean()) if mask.size else 0.0
    if not MIN_FRACTION <= fraction <= MAX_FRACTION:
        return centred_ellipse(height, width)
    return mask if mask.shape == (height, width) else _resize_mask(mask, width, height)


def plain_background_mask(rgb: NDArray[np.uint8], reduced: Reduced | None = None) -> BoolArray | None:
    """The garment's mask when it lies on a plain background (the cheap case), else None (GrabCut's case)."""
    height, width = rgb.shape[:2]
    lab = (reduced if reduced is not None else reduce_photo(rgb)).lab
    border = _border_colours(lab)
    if border.busy:
        return None
    mask = _clean(_foreground(lab, border))
    fraction = float(mask.mean()) if mask.size else 0.0
    if not MIN_FRACTION <= fraction <= MAX_FRACTION:
        return None
    return mask if mask.shape == (height, width) else _resize_mask(mask, width, height)


def is_blank(rgb: NDArray[np.uint8], reduced: Reduced | None = None) -> bool:
    """Whether a photo shows nothing at all (one flat colour): no garment to find."""
    lab = (reduced if reduced is not None else reduce_photo(rgb)).lab
    return bool(np.percentile(row_norms(lab - np.median(lab.reshape(-1, 3), 0)), 99) < MIN_DISTANCE)


def mask_box(mask: BoolArray) -> tuple[int, int, int, int]:
    """The garment's bounding box (x, y, w, h) in pixels; the whole image when the mask is empty."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if len(rows) == 0:
        return 0, 0, int(mask.shape[1]), int(mask.shape[0])
    return int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)


def centred_ellipse(height: int, width: int) -> BoolArray:
    """The fallback garment region: an ellipse in the middle of the photo."""
    y, x = np.ogrid[:height, :width]
    ny = (y - (height - 1) / 2) / max(ELLIPSE_AXES * height, 1.0)
    nx = (x - (width - 1) / 2) / max(ELLIPSE_AXES * width, 1.0)
    return np.asarray(nx**2 + ny**2 <= 1.0)


def border_mask(height: int, width: int) -> BoolArray:
    """The band along the image edge where the background is sampled."""
    return _border_mask(height, width).copy()


@lru_cache(maxsize=256)
def _border_mask(height: int, width: int) -> BoolArray:
    """`border_mask`, made once per size (read-only: shared by every photo of that size)."""
    band = max(1, round(BORDER * min(height, width)))
    edge = np.zeros((height, width), dtype=bool)
    edge[:band], edge[-band:], edge[:, :band], edge[:, -band:] = True, True, True, True
    edge.flags.writeable = False
    return edge


def _reduce(rgb: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """A copy at most WORK_SIDE pixels a side (area-averaged, which also smooths sensor noise)."""
    height, width = rgb.shape[:2]
    scale = WORK_SIDE / max(height, width)
    if scale >= 1:
        return np.ascontiguousarray(rgb[..., :3])
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(Image.fromarray(np.ascontiguousarray(rgb[..., :3])).resize(size, Image.Resampling.BOX))


class _Border(NamedTuple):
    """The border band's pixels (CIELAB), their median colour and each one's distance to it."""

    pixels: FloatArray
    centre: FloatArray
    from_centre: FloatArray

    @property
    def busy(self) -> bool:
        """Whether the border is a busy scene rather than a studio backdrop or a plain bed sheet."""
        return bool(np.mean(self.from_centre > MIN_DISTANCE * 1.5) > BUSY_SHARE)


def _border_colours(lab: FloatArray) -> _Border:
    """The border's colours, worked out once for the busy-border test and the background fit."""
    height, width = lab.shape[:2]
    pixels = lab.reshape(-1, 3)[_border_mask(height, width).ravel()]
    centre = np.median(pixels, axis=0)
    return _Border(pixels, centre, row_norms(pixels - centre))


def _foreground(lab: FloatArray, border: _Border) -> BoolArray:
    """Pixels whose colour is far from the background model fitted on the border."""
    height, width = lab.shape[:2]
    design = _design(height, width)
    edge = _border_mask(height, width).ravel()
    pixels = lab.reshape(-1, 3)
    background = _fit_background(design[edge], border)
    distance = row_norms(pixels - design @ background)
    spread = np.median(distance[edge]) * 1.4826 + 1e-6
    threshold = max(MIN_DISTANCE, NOISE_FACTOR * float(spread))
    return np.asarray((distance > threshold).reshape(height, width))


@lru_cache(maxsize=64)
def _design(height: int, width: int) -> FloatArray:
    """Per-pixel regressors of the background model: 1, x, y and x*y in -1..1 (read-only, made once per size)."""
    y, x = np.mgrid[:height, :width]
    xs = (x.ravel() / max(width - 1, 1)) * 2 - 1
    ys = (y.ravel() / max(height - 1, 1)) * 2 - 1
    design = np.stack([np.ones_like(xs), xs, ys, xs * ys], axis=1)
    design.flags.writeable = False
    return design


def _fit_background(design: FloatArray, border: _Border) -> FloatArray:
    """A bilinear CIELAB background fitted to the border's pixels (`design`: their regressors), refitted on
    inliers to ignore the garment."""
    lab = border.pixels
    inliers = border.from_centre <= max(MIN_DISTANCE, 1e-6)
    if inliers.sum() < 0.3 * len(lab):  # few pixels near the border's median colour: start from all of them
        inliers = np.ones(len(lab), dtype=bool)
    coef = np.zeros((design.shape[1], 3))  # the fit below replaces it (two rounds)
    for _ in range(2):
        coef = np.asarray(np.linalg.lstsq(design[inliers], lab[inliers], rcond=None)[0], dtype=np.float64)
        residual = row_norms(lab - design @ coef)
        inliers = residual <= max(MIN_DISTANCE / 2, 3 * float(np.median(residual[inliers])) * 1.4826)
    return np.asarray(coef)


def _clean(mask: BoolArray) -> BoolArray:
    """Remove specks, close seams, keep the main piece(s) and fill their holes.

    OpenCV does scipy.ndimage's binary morphology here with the same 4-neighbour cross and the same borders
    (outside the photo counts as background when eroding), several times faster on these small masks.
    """
    if not mask.any():
        return mask
    m: NDArray[np.integer[Any] | np.floating[Any]] = np.ascontiguousarray(mask, dtype=np.uint8)
    m = cv2.dilate(cv2.erode(m, _CROSS, borderType=cv2.BORDER_CONSTANT, borderValue=0), _CROSS)  # opening
    m = cv2.copyMakeBorder(m, 2, 2, 2, 2, cv2.BORDER_REPLICATE)  # closing, on the edge-padded mask
    m = cv2.dilate(m, _CROSS, iterations=2)
    m = cv2.erode(m, _CROSS, iterations=2, borderType=cv2.BORDER_CONSTANT, borderValue=0)[2:-2, 2:-2]
    count, labels, stats, _ = cv2.connectedComponentsWithStats(np.ascontiguousarray(m), connectivity=4)
    if count <= 1:
        return m.astype(bool)
    sizes = stats[1:, cv2.CC_STAT_AREA]
    keep = np.zeros(count, dtype=bool)
    keep[1:] = sizes >= KEEP_RELATIVE * sizes.max()
    return _fill_holes(keep[labels])


def _fill_holes(mask: BoolArray) -> BoolArray:
    """The mask with every background pocket that does not reach the border filled (4-neighbour, as ndimage)."""
    count, labels = cv2.connectedComponents(np.ascontiguousarray(~mask, dtype=np.uint8), connectivity=4)
    outside = np.zeros(count, dtype=bool)
    outside[labels[0]] = outside[labels[-1]] = outside[labels[:, 0]] = outside[labels[:, -1]] = True
    outside[0] = True  # label 0: the garment itself
    return np.asarray(mask | ~outside[labels])


def _resize_mask(mask: BoolArray, width: int, height: int) -> BoolArray:
    """Scale a mask to the photo's size with smooth edges."""
    image = Image.fromarray(mask.astype(np.uint8) * 255)
    return np.asarray(image.resize((width, height), Image.Resampling.BILINEAR)) >= 128


def _grabcut(small: NDArray[np.uint8]) -> BoolArray:
    """GrabCut on the reduced photo: the border band is background, the rest is probably the garment."""
    full_h, full_w = small.shape[:2]
    scale = min(1.0, GRABCUT_SIDE / max(full_h, full_w))
    if scale < 1.0:
        size = (max(1, round(full_w * scale)), max(1, round(full_h * scale)))
        small = np.asarray(Image.fromarray(small).resize(size, Image.Resampling.BOX))
    height, width = small.shape[:2]
    seed = np.full((height, width), cv2.GC_PR_FGD, np.uint8)
    seed[_like_border(srgb_to_lab(small))] = cv2.GC_PR_BGD
    seed[border_mask(height, width)] = cv2.GC_BGD
    background, foreground = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    bgr = np.ascontiguousarray(small[..., ::-1])
    if not (seed == cv2.GC_PR_FGD).any():  # every colour is also on the border: nothing stands out
        return np.zeros((full_h, full_w), dtype=bool)
    cv2.setRNGSeed(0)
    cv2.grabCut(bgr, seed, None, background, foreground, GRABCUT_ROUNDS, cv2.GC_INIT_WITH_MASK)  # type: ignore[call-overload]
    mask = np.asarray((seed == cv2.GC_FGD) | (seed == cv2.GC_PR_FGD))
    return mask if mask.shape == (full_h, full_w) else _resize_mask(mask, full_w, full_h)


def _largest(mask: BoolArray) -> BoolArray:
    """Only the largest piece: on a busy scene, other pieces are clutter (a cup, a hand, a phone)."""
    labels, count = ndimage.label(mask)
    if count <= 1:
        return mask
    sizes = np.bincount(labels.ravel())[1:]
    return np.asarray(labels == int(np.argmax(sizes)) + 1)


def _like_border(lab: FloatArray) -> BoolArray:
    """Pixels whose colour also occurs on the border (sky, floor, sheet): probably background.

    Colours are binned in a coarse CIELAB grid; the border's bins, grown by one bin, are background colours.
    """
    height, width = lab.shape[:2]
    cells = np.clip(((lab - LAB_ORIGIN) / LAB_BIN).astype(np.intp), 0, np.asarray(LAB_GRID) - 1)
    edge = cells[border_mask(height, width)]
    grid = np.zeros(LAB_GRID, dtype=bool)
    grid[edge[:, 0], edge[:, 1], edge[:, 2]] = True
    grid = ndimage.binary_dilation(grid, iterations=1)
    return np.asarray(grid[cells[..., 0], cells[..., 1], cells[..., 2]])
