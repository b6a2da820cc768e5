"""Naming garment colours: shaded synthetic garments in every palette colour, and a few mixes."""

from __future__ import annotations

import numpy as np
import pytest

from stylelens.vision.colors import (
    ColorShare,
    garment_colors,
    lab_to_srgb,
    nearest_color_name,
    row_norms,
    same_material,
    srgb_to_lab,
    xyz_to_lab,
)
from stylelens.vision.palette import PALETTE, hex_to_rgb


def shaded_garment(hex_value: str, *, seed: int = 0, darkest: float = 0.4, size: int = 160) -> np.ndarray:
    """A flat colour under folds: luminance factors from `darkest` to 1.1 in linear RGB, plus sensor noise."""
    rng = np.random.default_rng(seed)
    srgb = np.asarray(hex_to_rgb(hex_value), float) / 255
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    y, x = np.mgrid[0:size, 0:size]
    folds = 0.5 + 0.5 * np.sin(x / (7.0 + seed) + 2 * np.sin(y / 19.0))
    light = darkest + (1.1 - darkest) * np.sqrt(folds)
    lit = np.clip(linear * light[..., None], 0, 1)
    out = np.where(lit <= 0.0031308, lit * 12.92, 1.055 * lit ** (1 / 2.4) - 0.055) * 255
    return np.clip(out + rng.normal(0, 3, out.shape), 0, 255).astype(np.uint8)


def everything(image: np.ndarray) -> np.ndarray:
    return np.ones(image.shape[:2], dtype=bool)


def test_lab_of_known_colours() -> None:
    lab = srgb_to_lab(np.array([[255, 255, 255], [0, 0, 0], [255, 0, 0]], dtype=np.uint8))
    assert np.allclose(lab[0], [100, 0, 0], atol=0.05)
    assert np.allclose(lab[1], [0, 0, 0], atol=0.05)
    assert np.allclose(lab[2], [53.24, 80.09, 67.20], atol=0.1)
    assert np.allclose(lab_to_srgb(lab) * 255, [[255, 255, 255], [0, 0, 0], [255, 0, 0]], atol=1e-6)


def test_lab_and_row_norms_are_the_textbook_numbers_bit_for_bit() -> None:
    """Every mask and colour reading goes through these two; their fast forms must give the very same floats,
    near-black values (the linear segment of CIELAB) included, so no garment's mask moves by a pixel."""
    rng = np.random.default_rng(5)
    xyz = np.concatenate([rng.random((4000, 3)) * 1.1, rng.random((499, 3)) * 0.01, np.zeros((1, 3))])
    ratio = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(ratio > 216 / 24389, np.cbrt(ratio), (24389 / 27 * ratio + 16) / 116)
    textbook = np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)
    assert np.array_equal(xyz_to_lab(xyz), textbook)
    assert np.array_equal(xyz_to_lab(xyz.reshape(45, 100, 3)), textbook.reshape(45, 100, 3))
    values = rng.normal(0, 40, (3000, 3))
    assert np.array_equal(row_norms(values), np.linalg.norm(values, axis=1))
    assert np.array_equal(row_norms(values.reshape(30, 100, 3)), np.linalg.norm(values.reshape(30, 100, 3), axis=-1))


def test_every_palette_colour_names_itself() -> None:
    for name, hex_value in PALETTE.items():
        assert nearest_color_name(srgb_to_lab(np.array(hex_to_rgb(hex_value), np.uint8))) == name


def test_shaded_garments_get_their_main_colour() -> None:
    right = []
    for seed, (name, hex_value) in enumerate(PALETTE.items()):
        image = shaded_garment(hex_value, seed=seed % 4)
        colours = garment_colors(image, everything(image))
        right.append(colours[0].name == name)
    assert sum(right) >= 14, [n for n, ok in zip(PALETTE, right, strict=True) if not ok]


@pytest.mark.parametrize("name", ["navy", "white", "burgundy", "grey"])
def test_folds_do_not_invent_a_second_colour(name: str) -> None:
    image = shaded_garment(PALETTE[name], darkest=0.35)
    colours = garment_colors(image, everything(image))
    assert [c.name for c in colours] == [name]
    assert colours[0] == ColorShare(name, PALETTE[name], 1.0)


@pytest.mark.parametrize(
    ("first", "second", "fraction"),
    [("navy", "white", 0.4), ("black", "white", 0.5), ("red", "blue", 0.3), ("burgundy", "red", 0.4)],
)
def test_stripes_give_both_colours_in_proportion(first: str, second: str, fraction: float) -> None:
    a, b = shaded_garment(PALETTE[first]), shaded_garment(PALETTE[second], seed=1)
    stripes = (np.arange(a.shape[0]) % 20 < 20 * fraction)[:, None, None]
    colours = garment_colors(np.where(stripes, b, a), everything(a))
    shares = {c.name: c.share for c in colours}
    assert set(shares) == {first, second}
    assert shares[second] == pytest.approx(fraction, abs=0.12)
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-3)


def test_mask_limits_the_pixels_and_small_colours_are_dropped() -> None:
    image = shaded_garment(PALETTE["green"])
    image[:, :80] = hex_to_rgb(PALETTE["pink"])  # background, outside the mask
    mask = everything(image)
    mask[:, :80] = False
    image[:6, 80:] = hex_to_rgb(PALETTE["yellow"])  # a 3.75% trim: under the 8% cut
    assert [c.name for c in garment_colors(image, mask)] == ["green"]


def test_max_colors_and_empty_mask() -> None:
    image = np.zeros((90, 90, 3), dtype=np.uint8)
    image[:30], image[60:] = hex_to_rgb(PALETTE["red"]), hex_to_rgb(PALETTE["blue"])
    image[30:60] = (245, 245, 242)
    assert len(garment_colors(image, everything(image), max_colors=2)) == 2
    whole = garment_colors(image, np.zeros((90, 90), dtype=bool))  # nearly empty mask: the whole image
    assert {c.name for c in whole} == {"red", "white", "blue"}


def test_shadow_is_same_material_but_other_colours_are_not() -> None:
    navy = srgb_to_lab(np.array(hex_to_rgb(PALETTE["navy"]), np.uint8))
    shadow = srgb_to_lab(np.array([16, 22, 37], np.uint8))
    assert same_material(navy, shadow)
    for other in ("black", "blue", "purple", "green"):
        assert not same_material(navy, srgb_to_lab(np.array(hex_to_rgb(PALETTE[other]), np.uint8))), other
