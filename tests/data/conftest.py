"""Small pictures for the dataset tests: distinct garments drawn from a seed, so their hashes differ."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

Photo = Callable[[int], Image.Image]


def draw_garment(seed: int, size: int = 96) -> Image.Image:
    """A garment-like shape in a seeded colour, position and outline, on a light background with texture."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (size, size), tuple(int(v) for v in rng.integers(200, 256, 3)))
    draw = ImageDraw.Draw(image)
    for _ in range(4):
        points = [(float(x), float(y)) for x, y in rng.integers(0, size, (int(rng.integers(3, 7)), 2))]
        draw.polygon(points, fill=tuple(int(v) for v in rng.integers(0, 200, 3)))
    return image


@pytest.fixture
def photo() -> Photo:
    return draw_garment


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    """root/<split>/<label>/*.png with 6 shirts and 6 dresses, plus a broken file."""
    root = tmp_path / "photos"
    for n in range(12):
        split = "train" if n % 3 else "test"
        label = "shirt" if n % 2 else "dress"
        folder = root / split / label
        folder.mkdir(parents=True, exist_ok=True)
        draw_garment(n).save(folder / f"p{n}.png")
    (root / "train" / "shirt" / "broken.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    return root
