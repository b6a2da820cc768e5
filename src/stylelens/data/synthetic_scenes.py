"""The backgrounds of the synthetic segmentation data: real photos that ship with packages, sheets, people.

Scenes are scikit-image's and OpenCV's photos used by the shopper-style evaluation photos
(`evaluation.shopper.backgrounds`), scikit-learn's two sample photos and more of OpenCV's sample photos;
people are the shopper evaluation's (`PEOPLE`) and scikit-image's cameraman. A scene may carry distractors:
pieces of another photo or flat shapes pasted on it, which are background too (so "something pasted" is not
a shortcut to "garment"). Photos named in `HELD_OUT` appear only in the test split, distractors included.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from stylelens.evaluation.shopper import OPENCV_SAMPLES, PEOPLE, backgrounds, person_photo

RGB = NDArray[np.uint8]
Box = tuple[float, float, float, float]  # x0, y0, x1, y1 as fractions of the photo

# Background photos only the test split uses: a cat indoors, a flower close-up, a person (worn).
HELD_OUT: Final[frozenset[str]] = frozenset({"chelsea", "flower", "grace_hopper"})
_SCENE_NAMES: Final[tuple[str, ...]] = ("coffee", "chelsea", "rocket", "brick", "grass", "gravel")
_OPENCV_SCENES: Final[tuple[str, ...]] = ("fruits", "home", "building", "baboon")  # as shopper.backgrounds()
# More OpenCV sample photos without people (messi5 and basketball1/2 stay unseen: the report shows them).
_OPENCV_EXTRA: Final[tuple[str, ...]] = (
    "aero1.jpg", "aero3.jpg", "aloeL.jpg", "apple.jpg", "board.jpg", "box_in_scene.png", "butterfly.jpg",
    "ela_original.jpg", "graf1.png", "left.jpg", "leuvenA.jpg", "licenseplate_motion.jpg", "orange.jpg",
    "rubberwhale1.png", "smarties.png", "squirrel_cls.jpg", "starry_night.jpg", "stuff.jpg", "sudoku.png",
    "text_defocus.jpg", "Blender_Suzanne1.jpg",
)  # fmt: skip
# Where a top goes on people beyond the shopper evaluation's: the torso, checked by eye.
_MORE_PEOPLE: Final[dict[str, Box]] = {"camera": (0.03, 0.38, 0.5, 0.95)}
DISTRACTOR_RATE: Final[float] = 0.5  # share of scene photos with 1-2 pasted non-garment pieces


@lru_cache(maxsize=1)
def scene_photos() -> dict[str, RGB]:
    """Real photos without people, by name."""
    from sklearn.datasets import load_sample_image

    names = list(_SCENE_NAMES) + [n for n in _OPENCV_SCENES if (OPENCV_SAMPLES / f"{n}.jpg").is_file()]
    scenes = backgrounds()
    if len(names) != len(scenes):
        raise RuntimeError(f"evaluation.shopper.backgrounds() gave {len(scenes)} photos; expected {names}")
    named = dict(zip(names, scenes, strict=True))
    for name in ("china", "flower"):
        named[name] = np.asarray(load_sample_image(f"{name}.jpg"))
    for file in _OPENCV_EXTRA:
        if (OPENCV_SAMPLES / file).is_file():
            named[file.rsplit(".", 1)[0]] = np.asarray(Image.open(OPENCV_SAMPLES / file).convert("RGB"))
    return named


def people() -> dict[str, Box]:
    """Every person photo's torso box."""
    return {**PEOPLE, **_MORE_PEOPLE}


@lru_cache(maxsize=4)
def _person(name: str) -> RGB:
    if name == "camera":
        from skimage import data

        return np.stack([np.asarray(data.camera())] * 3, -1)  # type: ignore[no-untyped-call]
    return person_photo(name)


def backdrop_for(style: str, side: int, rng: np.random.Generator, test: bool) -> tuple[RGB, str, Box | None]:
    """A square backdrop for a style: a scene crop, a tinted sheet or a person; held-out photos only in test."""
    if style == "worn":
        names = sorted(n for n in people() if (n in HELD_OUT) == test)
        name = names[int(rng.integers(len(names)))]
        person = _person(name)
        h, w = person.shape[:2]
        fx0, fy0, fx1, fy1 = people()[name]
        torso = (fx0, fy0 * h / w, fx1, min(1.0, fy1 * h / w)) if h > w else people()[name]
        return _square(person[:w] if h > w else person, side, rng, crop=False), name, torso
    if style == "sheet":
        tint = rng.uniform(60, 245, size=3)
        ramp = np.linspace(-1, 1, side)[:, None, None] * rng.uniform(-20, 20, size=3)
        sheet = tint + ramp + rng.normal(0, rng.uniform(1, 6), size=(side, side, 3))
        return np.clip(sheet, 0, 255).astype(np.uint8), "sheet", None
    names = sorted(n for n in scene_photos() if (n in HELD_OUT) == test)
    name = names[int(rng.integers(len(names)))]
    scene = _square(scene_photos()[name], side, rng, crop=True)
    if rng.random() < DISTRACTOR_RATE:
        for _ in range(int(rng.integers(1, 3))):
            other = scene_photos()[names[int(rng.integers(len(names)))]]
            _paste_distractor(scene, _square(other, side, rng, crop=True), rng)
    return scene, name, None


def _paste_distractor(scene: RGB, texture: RGB, rng: np.random.Generator) -> None:
    """A random polygon of another photo's texture, or of a flat colour, pasted in place (it is background)."""
    side = scene.shape[0]
    centre = rng.uniform(0.15, 0.85, size=2) * side
    angles = np.sort(rng.uniform(0, 2 * np.pi, size=int(rng.integers(5, 11))))
    radii = rng.uniform(0.06, 0.3) * side * rng.uniform(0.6, 1.0, size=angles.size)
    points = np.stack([centre[0] + radii * np.cos(angles), centre[1] + radii * np.sin(angles)], 1)
    shape = np.zeros((side, side), np.uint8)
    cv2.fillPoly(shape, [points.astype(np.int32)], 1)
    fill = (
        texture if rng.random() < 0.7 else np.broadcast_to(rng.integers(0, 256, size=3).astype(np.uint8), scene.shape)
    )
    scene[shape > 0] = fill[shape > 0]


def _square(photo: RGB, side: int, rng: np.random.Generator, crop: bool) -> RGB:
    """A random square part of the photo (at least half its shorter side when cropping), resized to `side`."""
    h, w = photo.shape[:2]
    size = int(min(h, w) * (rng.uniform(0.5, 1.0) if crop else 1.0))
    y, x = int(rng.integers(h - size + 1)), int(rng.integers(w - size + 1))
    crop_ = photo[y : y + size, x : x + size]
    return np.ascontiguousarray(cv2.resize(crop_, (side, side), interpolation=cv2.INTER_AREA), np.uint8)
