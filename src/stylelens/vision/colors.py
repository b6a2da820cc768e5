"""Naming a garment's colours the way the shop does: up to three palette names, each with its share.

The garment's pixels are converted to CIELAB (sRGB, D65), clustered with a small deterministic k-means that
weighs lightness less than hue, and clusters that are one material under different light (a fold's shadow is
the lit colour times a factor in linear RGB) are merged before naming. Each merged group is named by the
palette colour nearest to its median, using the CIE94 textile distance (lightness counts half). So a navy
shirt with folds is "navy", not "navy + black".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from stylelens.vision.palette import PALETTE, hex_to_rgb

FloatArray = NDArray[np.float64]

WHITE_D65: Final = np.array([0.95047, 1.0, 1.08883])
_SRGB_TO_XYZ: Final = np.array(
    [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]]
)
_XYZ_TO_SRGB: Final = np.linalg.inv(_SRGB_TO_XYZ)
_EPS: Final = 216 / 24389
_KAPPA: Final = 24389 / 27

MIN_SHARE: Final[float] = 0.08  # colours under this share of the garment are dropped
SAMPLE_SIZE: Final[int] = 1500  # pixels clustered: shares to about 2%, in a few milliseconds
CLUSTERS: Final[int] = 6
LIGHTNESS_WEIGHT: Final[float] = 0.4  # in the clustering space; hue and chroma count fully
SHADE_RANGE: Final[float] = 0.3  # darkest shadow (or highlight) as a factor of the lit colour's luminance
SAME_MATERIAL_DE: Final[float] = 7.0  # CIE94 textile distance under which a shaded cluster is one material


@dataclass(frozen=True, slots=True)
class ColorShare:
    """One colour of a garment: its palette name, the palette's reference hex and its share of the garment."""

    name: str
    hex: str
    share: float


def srgb_to_lab(rgb: NDArray[np.generic]) -> FloatArray:
    """sRGB (uint8 0..255, or float 0..1) to CIELAB under D65; any leading shape, last axis RGB."""
    source = np.asarray(rgb)
    if source.dtype == np.uint8:  # a table of the 256 levels: the same numbers, without a power per pixel
        linear = _LINEAR_LEVELS.take(source)
    else:
        values = np.asarray(source, dtype=np.float64)
        if np.issubdtype(source.dtype, np.integer):
            values = values / 255.0
        linear = _linearise(values)
    return xyz_to_lab(np.asarray(linear @ _SRGB_TO_XYZ.T, dtype=np.float64))


def _linearise(values: FloatArray) -> FloatArray:
    """sRGB values in 0..1 to linear light."""
    return np.asarray(np.where(values <= 0.04045, values / 12.92, ((values + 0.055) / 1.055) ** 2.4))


_LINEAR_LEVELS: Final[FloatArray] = _linearise(np.arange(256, dtype=np.float64) / 255.0)


def lab_to_srgb(lab: FloatArray) -> FloatArray:
    """CIELAB (D65) back to sRGB floats in 0..1, clipped to the gamut."""
    linear = np.clip(lab_to_xyz(lab) @ _XYZ_TO_SRGB.T, 0.0, 1.0)
    return np.asarray(np.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear ** (1 / 2.4) - 0.055))


def xyz_to_lab(xyz: FloatArray) -> FloatArray:
    """CIE XYZ (Y of white = 1) to CIELAB under D65.

    The cube root is taken everywhere and the linear segment worked out only for the (few, near-black) values
    below it, and L, a, b are written into one array: the numbers of the textbook formula, with fewer passes
    over a photo's pixels (this runs on every working copy a catalog sync or a search reads).
    """
    ratio = np.asarray(xyz / WHITE_D65, dtype=np.float64)
    f = np.cbrt(ratio)
    dark = ratio <= _EPS
    if dark.any():
        f[dark] = (_KAPPA * ratio[dark] + 16) / 116
    lab = np.empty(f.shape, np.float64)
    fx, fy, fz = f[..., 0], f[..., 1], f[..., 2]
    np.multiply(fy, 116, out=lab[..., 0])
    lab[..., 0] -= 16
    np.subtract(fx, fy, out=lab[..., 1])
    lab[..., 1] *= 500
    np.subtract(fy, fz, out=lab[..., 2])
    lab[..., 2] *= 200
    return lab


def lab_to_xyz(lab: FloatArray) -> FloatArray:
    """CIELAB under D65 to CIE XYZ (Y of white = 1)."""
    fy = (lab[..., 0] + 16) / 116
    f = np.stack([fy + lab[..., 1] / 500, fy, fy - lab[..., 2] / 200], -1)
    ratio = np.where(f**3 > _EPS, f**3, (116 * f - 16) / _KAPPA)
    return np.asarray(ratio * WHITE_D65, dtype=np.float64)


def row_norms(values: FloatArray) -> FloatArray:
    """The length of each row of an (..., 3) array: `np.linalg.norm(values, axis=-1)`, bit for bit (the same
    squares summed in the same order), without numpy's slow reduction over a 3-long axis."""
    x, y, z = values[..., 0], values[..., 1], values[..., 2]
    return np.asarray(np.sqrt(x * x + y * y + z * z), dtype=np.float64)


def delta_e94(lab: FloatArray, reference: FloatArray) -> FloatArray:
    """CIE94 colour difference with the textile weights (lightness counts half), broadcasting."""
    d_l = lab[..., 0] - reference[..., 0]
    c_ref = np.hypot(reference[..., 1], reference[..., 2])
    c_lab = np.hypot(lab[..., 1], lab[..., 2])
    d_c = c_lab - c_ref
    d_a, d_b = lab[..., 1] - reference[..., 1], lab[..., 2] - reference[..., 2]
    d_h2 = np.maximum(d_a**2 + d_b**2 - d_c**2, 0.0)
    squared = (d_l / 2) ** 2 + (d_c / (1 + 0.048 * c_ref)) ** 2 + d_h2 / (1 + 0.014 * c_ref) ** 2
    return np.asarray(np.sqrt(squared), dtype=np.float64)


_NAMES: Final[tuple[str, ...]] = tuple(PALETTE)
_PALETTE_LAB: Final[FloatArray] = srgb_to_lab(np.array([hex_to_rgb(h) for h in PALETTE.values()], np.uint8))


def nearest_color_name(lab: FloatArray) -> str:
    """The palette name a shopper would give one CIELAB colour."""
    return _NAMES[int(np.argmin(delta_e94(np.asarray(lab)[None, :], _PALETTE_LAB)))]


def garment_colors(rgb: NDArray[np.uint8], mask: NDArray[np.bool_], max_colors: int = 3) -> list[ColorShare]:
    """The garment's main palette colours, largest share first; shares of the returned colours sum to 1."""
    lab = srgb_to_lab(_sample(rgb, mask))
    if len(lab) == 0:
        return []
    labels = _kmeans(lab * [LIGHTNESS_WEIGHT, 1.0, 1.0], CLUSTERS)
    groups = _merge_shades(lab, labels)
    shares: dict[str, float] = {}
    for members in groups:
        name = nearest_color_name(np.median(lab[members], axis=0))
        shares[name] = shares.get(name, 0.0) + members.mean()
    kept = sorted(((s, n) for n, s in shares.items() if s >= MIN_SHARE), reverse=True)[:max_colors]
    if not kept:  # every colour under the threshold: keep the largest one
        kept = [max((s, n) for n, s in shares.items())]
    total = sum(s for s, _ in kept)
    return [ColorShare(n, PALETTE[n], round(float(s / total), 4)) for s, n in kept]


def _sample(rgb: NDArray[np.uint8], mask: NDArray[np.bool_]) -> NDArray[np.uint8]:
    """A deterministic subsample of the garment's pixels (all pixels when the mask is nearly empty)."""
    flat = rgb.reshape(-1, rgb.shape[-1])[:, :3]
    chosen = np.flatnonzero(mask.ravel())
    if len(chosen) < 16:
        chosen = np.arange(len(flat))
    if len(chosen) > SAMPLE_SIZE:  # with replacement: O(sample), not a permutation of 40 M pixels
        chosen = chosen[np.random.default_rng(0).integers(len(chosen), size=SAMPLE_SIZE)]
    return np.asarray(flat[chosen], dtype=np.uint8)


def _kmeans(points: FloatArray, k: int, iterations: int = 12) -> NDArray[np.intp]:
    """Cluster labels from k-means with k-means++ seeding; deterministic (seed 0).

    Vectorised: the seeding keeps each point's distance to its nearest centre so far, and centres move by
    per-cluster sums (bincount), so a garment costs well under a millisecond. Each point's squared norm is
    computed once, and convergence is numpy's allclose written out (the same test, without its overhead).
    """
    rng = np.random.default_rng(0)
    k = min(k, _distinct_rows(points))
    norms = (points * points).sum(1)[:, None]
    centres = points[[rng.integers(len(points))]]
    d2 = squared_distances(points, centres, norms)[:, 0]
    for _ in range(1, k):
        chosen = points[rng.choice(len(points), p=d2 / d2.sum())]
        centres = np.vstack([centres, chosen])
        d2 = np.minimum(d2, squared_distances(points, chosen[None], norms)[:, 0])
    labels = np.zeros(len(points), dtype=np.intp)
    for _ in range(iterations):
        labels = squared_distances(points, centres, norms).argmin(1)
        counts = np.bincount(labels, minlength=k)[:, None]
        sums = np.stack([np.bincount(labels, weights=points[:, d], minlength=k) for d in range(3)], axis=1)
        moved = np.where(counts > 0, sums / np.maximum(counts, 1), centres)
        if bool((np.abs(moved - centres) <= 1e-8 + 1e-5 * np.abs(centres)).all()):  # np.allclose's defaults
            break
        centres = moved
    return labels


def squared_distances(points: FloatArray, centres: FloatArray, norms: FloatArray | None = None) -> FloatArray:
    """(n, k) squared distances, as |p|^2 - 2 p.c + |c|^2 (one small matrix product, no (n, k, 3) temporary);
    `norms`, when given, is |p|^2 as an (n, 1) column, worked out once by the caller."""
    cross = points @ centres.T
    if norms is None:
        norms = (points * points).sum(1)[:, None]
    squared = norms - 2.0 * cross + (centres * centres).sum(1)[None, :]
    return np.asarray(np.maximum(squared, 0.0))  # rounding can leave a point's distance to itself a hair below zero


def _distinct_rows(points: FloatArray) -> int:
    """How many different rows there are (a cheap lexicographic sort, not np.unique's structured view)."""
    if len(points) < 2:
        return len(points)
    ordered = points[np.lexsort(points.T[::-1])]
    return 1 + int(np.any(ordered[1:] != ordered[:-1], axis=1).sum())


def _merge_shades(lab: FloatArray, labels: NDArray[np.intp]) -> list[NDArray[np.bool_]]:
    """Group clusters that are one material in light and shadow; returns one boolean member mask per group.

    Clusters are taken largest first; each joins the first group whose anchor (its largest cluster's median)
    is the same material, else starts a group. The pairwise test runs once for all clusters, vectorised.
    """
    ids = np.unique(labels)
    order = ids[np.argsort(-np.bincount(labels)[ids], kind="stable")]
    members = [labels == j for j in order]
    same = _same_material_pairs(np.stack([np.median(lab[m], axis=0) for m in members]))
    anchors: list[int] = []
    groups: list[NDArray[np.bool_]] = []
    for i, cluster in enumerate(members):
        for g, anchor in enumerate(anchors):
            if same[anchor, i]:
                groups[g] = groups[g] | cluster
                break
        else:
            anchors.append(i)
            groups.append(cluster)
    return groups


def _same_material_pairs(colours: FloatArray) -> NDArray[np.bool_]:
    """`same_material` for every pair of CIELAB colours (n, 3) at once: an (n, n) matrix."""
    y = lab_to_xyz(colours)[:, 1]
    y_a, y_b = y[:, None], y[None, :]
    a_darker = (y_a <= y_b)[..., None]
    dark = np.where(a_darker, colours[:, None, :], colours[None, :, :])
    light = np.where(a_darker, colours[None, :, :], colours[:, None, :])
    factor = np.minimum(y_a, y_b) / np.maximum(np.maximum(y_a, y_b), 1e-9)
    shaded = xyz_to_lab(lab_to_xyz(light) * factor[..., None])
    return np.asarray((factor >= SHADE_RANGE) & (delta_e94(shaded, dark) < SAME_MATERIAL_DE))


def same_material(lab_a: FloatArray, lab_b: FloatArray) -> bool:
    """Whether two colours can be one fabric under brighter or dimmer light: a fold's shadow, a highlight."""
    y_a, y_b = lab_to_xyz(lab_a)[1], lab_to_xyz(lab_b)[1]
    dark, light = (lab_a, lab_b) if y_a <= y_b else (lab_b, lab_a)
    factor = min(y_a, y_b) / max(y_a, y_b, 1e-9)
    if factor < SHADE_RANGE:
        return False
    shaded = xyz_to_lab(lab_to_xyz(light) * factor)
    return float(delta_e94(shaded, dark)) < SAME_MATERIAL_DE
