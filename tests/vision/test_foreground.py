"""Finding the garment on packshots and flat-lays: synthetic garments on plain backgrounds."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from stylelens.vision.foreground import centred_ellipse, garment_mask, mask_box

BoolArray = np.ndarray


def tshirt_mask(width: int, height: int, *, to_bottom: bool = False) -> BoolArray:
    bottom = 1.0 if to_bottom else 0.86
    outline = [
        (0.3, 0.2),
        (0.7, 0.2),
        (0.9, 0.35),
        (0.8, 0.45),
        (0.72, 0.38),
        (0.72, bottom),
        (0.28, bottom),
        (0.28, 0.38),
        (0.2, 0.45),
        (0.1, 0.35),
    ]
    canvas = Image.new("L", (width, height), 0)
    ImageDraw.Draw(canvas).polygon([(x * width, y * height) for x, y in outline], fill=255)
    return np.asarray(canvas) > 0


def packshot(
    truth: BoolArray,
    garment: tuple[int, int, int],
    background: tuple[int, int, int],
    *,
    gradient: float = 0.0,
) -> np.ndarray:
    """Garment with fold shading on a background with an optional left-to-right light fall-off and noise."""
    height, width = truth.shape
    rng = np.random.default_rng(3)
    x = np.arange(width)[None, :, None]
    back = np.asarray(background, float) * (1 - gradient * x / width)
    folds = np.asarray(garment, float) * (0.75 + 0.25 * np.sin(x / 11.0))
    image = np.where(truth[..., None], folds, back) + rng.normal(0, 3, (height, width, 3))
    return np.clip(image, 0, 255).astype(np.uint8)


def iou(a: BoolArray, b: BoolArray) -> float:
    return float((a & b).sum() / (a | b).sum())


def test_navy_shirt_on_white_is_found() -> None:
    truth = tshirt_mask(360, 440)
    mask = garment_mask(packshot(truth, (31, 42, 68), (245, 245, 242)))
    assert mask.dtype == bool and mask.shape == truth.shape
    assert iou(mask, truth) > 0.9


def test_background_with_light_fall_off() -> None:
    truth = tshirt_mask(300, 380)
    mask = garment_mask(packshot(truth, (198, 46, 46), (230, 228, 225), gradient=0.3))
    assert iou(mask, truth) > 0.9


def test_garment_touching_the_edge_and_large_photo() -> None:
    truth = tshirt_mask(1200, 1500, to_bottom=True)
    mask = garment_mask(packshot(truth, (216, 195, 160), (250, 250, 250)))
    assert mask.shape == truth.shape
    assert iou(mask, truth) > 0.9


def test_pair_of_socks_keeps_both_pieces_and_drops_specks() -> None:
    truth = np.zeros((300, 400), dtype=bool)
    truth[60:260, 50:170] = True
    truth[60:260, 230:350] = True
    image = packshot(truth, (47, 95, 179), (240, 240, 240))
    image[15:29, 370:384] = 0  # a stray label, well under a quarter of a sock
    mask = garment_mask(image)
    assert iou(mask, truth) > 0.9
    assert not mask[21, 377]


def test_holes_are_filled() -> None:
    truth = np.zeros((200, 200), dtype=bool)
    truth[40:160, 40:160] = True
    image = packshot(truth, (20, 20, 20), (240, 240, 240))
    image[90:110, 90:110] = (240, 240, 240)  # a background-coloured print in the middle
    assert garment_mask(image)[100, 100]


def test_plain_image_falls_back_to_centred_ellipse() -> None:
    image = np.full((200, 300, 3), 128, dtype=np.uint8)
    mask = garment_mask(image)
    assert np.array_equal(mask, centred_ellipse(200, 300))
    assert 0.4 < mask.mean() < 0.7


def test_mask_box() -> None:
    mask = np.zeros((50, 80), dtype=bool)
    mask[10:20, 30:45] = True
    assert mask_box(mask) == (30, 10, 15, 10)
    assert mask_box(np.zeros((50, 80), dtype=bool)) == (0, 0, 80, 50)
