"""Shopper-style photos of catalog items, for measuring the vision pipeline and training its heads.

A demo packshot (with its exact mask) is re-photographed the way shoppers do: laid on a busy real background
(photos that ship with scikit-image and OpenCV's samples) or a tinted sheet, seen in perspective and rotated,
under a colour cast, blurred, JPEG-compressed, partly occluded, or worn: composited onto a person in one of the
real photos that ship with packages. The same seed always gives the same photos.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageFilter

STYLES: Final[tuple[str, ...]] = ("busy", "sheet", "cast", "occluded", "worn")
WORN_CATEGORIES: Final[frozenset[str]] = frozenset({"t-shirt", "shirt", "sweater", "coat", "dress"})
OUT_SIDE: Final[int] = 640
OPENCV_SAMPLES: Final[Path] = Path("/usr/share/doc/opencv-doc/examples/data")
# Where a top goes on each person photo (x0, y0, x1, y1 as fractions): the torso, checked by eye.
PEOPLE: Final[dict[str, tuple[float, float, float, float]]] = {
    "astronaut": (0.06, 0.42, 0.62, 1.0),
    "grace_hopper": (0.05, 0.6, 0.98, 1.0),
}


@dataclass(frozen=True)
class ShopperPhoto:
    """A shopper-style photo of one catalog item and how it was made."""

    product_index: int
    style: str
    image: Image.Image


@lru_cache(maxsize=1)
def backgrounds() -> tuple[NDArray[np.uint8], ...]:
    """Busy real scenes and textures that ship in packages (scikit-image; OpenCV samples when installed)."""
    from skimage import data

    # No people: a person would make it a worn photo.
    scenes = [data.coffee(), data.chelsea(), data.rocket()]  # type: ignore[no-untyped-call]
    textures = [data.brick(), data.grass(), data.gravel()]  # type: ignore[no-untyped-call]
    scenes += [np.stack([t] * 3, -1) for t in textures]
    for name in ("fruits.jpg", "home.jpg", "building.jpg", "baboon.jpg"):
        if (OPENCV_SAMPLES / name).is_file():
            scenes.append(np.asarray(Image.open(OPENCV_SAMPLES / name).convert("RGB")))
    return tuple(np.ascontiguousarray(s[..., :3]) for s in scenes)


@lru_cache(maxsize=2)
def person_photo(name: str) -> NDArray[np.uint8]:
    """A real photo of a person in clothes that ships in a package."""
    if name == "astronaut":
        from skimage import data

        return np.asarray(data.astronaut())  # type: ignore[no-untyped-call]
    import matplotlib

    path = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    return np.asarray(Image.open(path).convert("RGB"))


def shopper_photo(
    image: Image.Image, mask: NDArray[np.bool_], category: str, style: str, rng: np.random.Generator
) -> Image.Image:
    """One shopper-style photo of a packshot in the given style (see STYLES)."""
    if style == "worn" and category in WORN_CATEGORIES:
        photo = _worn(image, mask, rng)
    else:
        garment = _perspective(image, mask, rng)
        photo = _on_background(garment, rng, busy=style in ("busy", "occluded"))
        if style == "occluded":
            photo = _occlude(photo, rng)
    if style in ("cast", "busy", "worn"):
        photo = _cast(photo, rng)
    photo = photo.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.0, 1.2))))
    return _jpeg(photo, int(rng.integers(55, 86)))


def _perspective(image: Image.Image, mask: NDArray[np.bool_], rng: np.random.Generator) -> Image.Image:
    """The garment cut out (RGBA), seen slightly from the side and rotated."""
    rgba = image.convert("RGB").copy()
    rgba.putalpha(Image.fromarray(mask.astype(np.uint8) * 255))
    w, h = rgba.size
    j = rng.uniform(-0.08, 0.08, size=8) * [w, h, w, h, w, h, w, h]
    corners = np.array([0, 0, w, 0, w, h, 0, h], float) + j
    coeffs = _perspective_coeffs([(0, 0), (w, 0), (w, h), (0, h)], corners.reshape(4, 2))
    warped = rgba.transform((w, h), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC)
    return warped.rotate(float(rng.uniform(-15, 15)), Image.Resampling.BICUBIC, expand=False)


def _on_background(garment: Image.Image, rng: np.random.Generator, *, busy: bool) -> Image.Image:
    if busy:
        scenes = backgrounds()
        scene = Image.fromarray(scenes[int(rng.integers(len(scenes)))])
        side = min(scene.size)
        x0, y0 = int(rng.integers(scene.width - side + 1)), int(rng.integers(scene.height - side + 1))
        canvas = scene.crop((x0, y0, x0 + side, y0 + side)).resize((OUT_SIDE, OUT_SIDE))
    else:
        tint = tuple(int(v) for v in rng.integers(150, 235, size=3))
        canvas = Image.new("RGB", (OUT_SIDE, OUT_SIDE), tint)
    scale = float(rng.uniform(0.6, 0.85)) * OUT_SIDE / max(garment.size)
    size = (round(garment.width * scale), round(garment.height * scale))
    piece = garment.resize(size, Image.Resampling.BILINEAR)
    slack = (OUT_SIDE - size[0], OUT_SIDE - size[1])
    offset = (int(rng.integers(0, slack[0] + 1)), int(rng.integers(0, slack[1] + 1)))
    canvas.paste(piece, offset, piece)
    return canvas


def _worn(image: Image.Image, mask: NDArray[np.bool_], rng: np.random.Generator) -> Image.Image:
    """The garment composited onto the torso of a person in a real photo."""
    name = list(PEOPLE)[int(rng.integers(len(PEOPLE)))]
    person = Image.fromarray(person_photo(name))
    fx0, fy0, fx1, fy1 = PEOPLE[name]
    box = (fx0 * person.width, fy0 * person.height, fx1 * person.width, fy1 * person.height)
    rgba = image.convert("RGB").copy()
    rgba.putalpha(Image.fromarray(mask.astype(np.uint8) * 255))
    rgba = rgba.crop(rgba.getbbox())
    scale = min((box[2] - box[0]) / rgba.width, (box[3] - box[1]) / rgba.height) * float(rng.uniform(1.0, 1.15))
    piece = rgba.resize((max(1, round(rgba.width * scale)), max(1, round(rgba.height * scale))))
    x = round((box[0] + box[2]) / 2 - piece.width / 2)
    y = round(box[1])
    out = person.copy()
    out.paste(piece, (x, y), piece)
    return out


def _occlude(photo: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A hand, a strap or a phone covering part of the garment: a flat patch over up to ~12% of the photo."""
    pixels = np.asarray(photo).copy()
    h, w = pixels.shape[:2]
    ph, pw = int(h * rng.uniform(0.15, 0.35)), int(w * rng.uniform(0.15, 0.35))
    y, x = int(rng.integers(0, h - ph)), int(rng.integers(0, w - pw))
    pixels[y : y + ph, x : x + pw] = rng.integers(40, 220, size=3)
    return Image.fromarray(pixels)


def _cast(photo: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A white-balance error: each channel scaled by up to +-10%, and a slight exposure change."""
    gains = rng.uniform(0.9, 1.1, size=3) * rng.uniform(0.9, 1.08)
    return Image.fromarray(np.clip(np.asarray(photo, np.float32) * gains, 0, 255).astype(np.uint8))


def _jpeg(photo: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    photo.convert("RGB").save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def _perspective_coeffs(source: list[tuple[float, float]], target: NDArray[np.float64]) -> tuple[float, ...]:
    """PIL's 8 perspective coefficients mapping output corners (target) back to input corners (source)."""
    rows = []
    for (x, y), (u, v) in zip(source, target, strict=True):
        rows.append([u, v, 1, 0, 0, 0, -x * u, -x * v])
        rows.append([0, 0, 0, u, v, 1, -y * u, -y * v])
    a = np.asarray(rows, float)
    b = np.asarray(source, float).ravel()
    return tuple(float(c) for c in np.linalg.solve(a, b))
