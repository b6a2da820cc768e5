"""The batched crops of catalog ingestion feed the backbone exactly what the one-photo-at-a-time path fed it.

The reference here is the per-photo recipe written out plainly (crop to the garment plus margin, pad to a
square on a canvas with the surrounding colour, resize, ((pixel / 255) - mean) / std, channels first), so a
change to the batched path that moves a product in the index fails here, not in a shopper's results.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from stylelens.vision.embedder import BACKDROP, GROW, MARGIN, Embedder
from stylelens.vision.foreground import garment_mask, mask_box


def _reference_square(rgb: Image.Image, mask: np.ndarray | None, size: int) -> Image.Image:
    width, height = rgb.size
    has_garment = mask is not None and mask.any()
    x, y, w, h = mask_box(mask) if has_garment else (0, 0, width, height)  # type: ignore[arg-type]
    if has_garment and not mask.all():  # type: ignore[union-attr]
        pad = max(2, round(MARGIN * max(w, h)))
        x0, y0, x1, y1 = max(0, x - pad), max(0, y - pad), min(width, x + w + pad), min(height, y + h + pad)
        part = np.asarray(rgb.crop((x0, y0, x1, y1)))
        keep = ndimage.binary_dilation(mask[y0:y1, x0:x1], iterations=GROW)  # type: ignore[index]
        rgb = rgb.copy()
        rgb.paste(Image.fromarray(np.where(keep[..., None], part, np.uint8(BACKDROP)).astype(np.uint8)), (x0, y0))
    side = max(w * (1 + 2 * MARGIN), h * (1 + 2 * MARGIN), 1.0)
    left, top = x + w / 2 - side / 2, y + h / 2 - side / 2
    crop = (max(left, 0.0), max(top, 0.0), min(left + side, width), min(top + side, height))
    scale = size / side
    target = (max(1, round((crop[2] - crop[0]) * scale)), max(1, round((crop[3] - crop[1]) * scale)))
    target = (min(target[0], size), min(target[1], size))
    region = rgb.resize(target, Image.Resampling.BILINEAR, box=crop, reducing_gap=3.0)
    pixels = np.asarray(region)
    edge = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    canvas = Image.new("RGB", (size, size), tuple(int(v) for v in np.median(edge, axis=0)))  # type: ignore[arg-type]
    offset_x = min(round((crop[0] - left) * scale), size - target[0])
    canvas.paste(region, (offset_x, min(round((crop[1] - top) * scale), size - target[1])))
    return canvas


def _reference_tensor(embedder: Embedder, img: Image.Image, mask: np.ndarray | None) -> np.ndarray:
    square = _reference_square(img.convert("RGB"), mask, embedder.input_size)
    mean = np.asarray(embedder.manifest["mean"], dtype=np.float32)
    std = np.asarray(embedder.manifest["std"], dtype=np.float32)
    scaled = np.asarray(square, dtype=np.float32) / 255.0
    return np.ascontiguousarray(((scaled - mean) / std).transpose(2, 0, 1), dtype=np.float32)


def _photos() -> list[tuple[Image.Image, np.ndarray | None]]:
    """Packshots of a shop's sizes, a garment touching the edge, no mask, an empty and a full mask, greyscale."""
    rng = np.random.default_rng(3)
    out: list[tuple[Image.Image, np.ndarray | None]] = []
    for i, side in enumerate((64, 77, 98, 128, 200)):
        pixels = np.full((side, side + 7 * i, 3), 245, np.uint8)
        y0, x0 = side // 5, (side + 7 * i) // 4
        pixels[y0 : side - y0, x0:] = rng.integers(0, 255, 3, dtype=np.uint8)  # reaches the right edge
        pixels[y0 + 3 : y0 + 5] = 255  # a stripe
        noisy = np.clip(pixels.astype(np.int16) + rng.integers(-4, 5, pixels.shape), 0, 255).astype(np.uint8)
        out.append((Image.fromarray(noisy), garment_mask(noisy)))
    plain = Image.fromarray(rng.integers(0, 255, (90, 60, 3), dtype=np.uint8))
    out += [(plain, None), (plain, np.zeros((90, 60), bool)), (plain, np.ones((90, 60), bool))]
    out.append((plain.convert("L"), np.pad(np.ones((40, 20), bool), ((10, 40), (30, 10)))))
    return out


@pytest.fixture(scope="module")
def embedder(models_dir: Path) -> Embedder:
    model = Embedder(models_dir, threads=1)
    model.load()
    return model


def test_batched_crops_equal_the_per_photo_recipe(embedder: Embedder) -> None:
    photos = _photos()
    expected = np.stack([_reference_tensor(embedder, img, mask) for img, mask in photos])
    batched = embedder.preprocess_batch([img for img, _ in photos], [mask for _, mask in photos])
    assert batched.shape == (len(photos), 3, embedder.input_size, embedder.input_size)
    assert batched.dtype == np.float32 and batched.flags.c_contiguous
    np.testing.assert_allclose(batched, expected, rtol=0, atol=1e-6)
    single = np.stack([embedder.preprocess(img, mask) for img, mask in photos])
    np.testing.assert_allclose(single, expected, rtol=0, atol=1e-6)


def test_catalog_vectors_equal_those_of_the_per_photo_recipe(embedder: Embedder) -> None:
    photos = _photos()
    vectors = embedder.embed([img for img, _ in photos], [mask for _, mask in photos])
    raw, _ = embedder.predict(np.stack([_reference_tensor(embedder, img, mask) for img, mask in photos]))
    expected = raw / np.linalg.norm(raw, axis=1, keepdims=True)  # no head here: the backbone's vector is stored
    cosines = np.sum(vectors * expected, axis=1)
    assert np.all(cosines >= 1 - 1e-5), cosines
    # Different garments stay different: the check above cannot pass with one vector for every photo.
    assert float(np.min(vectors[:5] @ vectors[:5].T)) < 0.999
