"""On real photos of people (shipped in packages), garment regions land on the clothes and faces are blurred.

The boxes below were drawn by hand on each photo (x0, y0, x1, y1 in pixels), looking at it with a 50-pixel grid.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from stylelens.evaluation.metrics import box_iou
from stylelens.vision.analysis import GarmentAnalyser
from stylelens.vision.faces import find_faces

# photo -> region kind -> the hand-checked box of that garment.
HAND_BOXES: dict[str, dict[str, tuple[int, int, int, int]]] = {
    "astronaut": {"upper": (20, 180, 365, 512)},  # the orange suit's torso and arms
    "grace_hopper": {"upper": (15, 320, 512, 600)},  # the uniform jacket
    # messi5: the shirt; the lower body's clothes are the shorts and the long socks down to the boots.
    "messi5.jpg": {"upper": (155, 108, 310, 245), "lower": (218, 210, 425, 322), "feet": (255, 255, 455, 335)},
    "basketball1.png": {"upper": (35, 130, 160, 290), "lower": (40, 270, 145, 465), "feet": (45, 440, 155, 480)},
}


def corners(garment_region: object) -> tuple[int, int, int, int]:
    r = garment_region
    return r.x, r.y, r.x + r.w, r.y + r.h  # type: ignore[attr-defined]


def covered(hand: tuple[int, ...], found: tuple[int, ...]) -> float:
    """Share of the hand-checked box that the found box covers."""
    w = max(0, min(hand[2], found[2]) - max(hand[0], found[0]))
    h = max(0, min(hand[3], found[3]) - max(hand[1], found[1]))
    return w * h / ((hand[2] - hand[0]) * (hand[3] - hand[1]))


@pytest.mark.parametrize("name", list(HAND_BOXES))
def test_garment_regions_land_on_the_clothes(
    analyser: GarmentAnalyser, real_photo: Callable[[str], Image.Image], name: str
) -> None:
    reading = analyser.analyse_photo(real_photo(name))
    assert reading.person
    found = {g.kind: corners(g.region) for g in reading.garments}
    assert reading.garments[0].kind == "upper"  # the default search is on the top
    for kind, hand in HAND_BOXES[name].items():
        assert kind in found, f"{name}: no {kind} region in {sorted(found)}"
        assert covered(hand, found[kind]) >= 0.75, (name, kind, found[kind])
        assert box_iou(hand, found[kind]) >= 0.45, (name, kind, found[kind])
    for garment in reading.garments:
        assert garment.mask.any() and garment.colors and garment.categories
        assert garment.embedding.shape == (analyser.embedder.dim,)


def test_the_jacket_is_dark_and_the_suit_orange(
    analyser: GarmentAnalyser, real_photo: Callable[[str], Image.Image]
) -> None:
    grace = analyser.analyse_photo(real_photo("grace_hopper")).garments[0]
    astronaut = analyser.analyse_photo(real_photo("astronaut")).garments[0]
    assert grace.colors[0].name in {"navy", "black"}
    assert astronaut.colors[0].name in {"orange", "red"}


@pytest.mark.parametrize("name", list(HAND_BOXES))
def test_faces_are_blurred_in_what_leaves_the_pipeline(
    analyser: GarmentAnalyser, real_photo: Callable[[str], Image.Image], name: str
) -> None:
    original = real_photo(name)
    faces = find_faces(original)
    assert faces, "every one of these photos shows a face"
    safe = analyser.analyse_photo(original).image
    for face in faces[:1]:
        dx, dy = 0.2 * (face.right - face.left), 0.2 * (face.bottom - face.top)  # eyes, nose, mouth
        box = (int(face.left + dx), int(face.top + dy), int(face.right - dx), int(face.bottom - dy))
        before, after = detail(original.crop(box)), detail(safe.crop(box))
        assert after < 0.2 * before, (name, before, after)


def test_no_person_in_a_packshot_and_nothing_in_a_blank_photo(analyser: GarmentAnalyser) -> None:
    from stylelens.catalog.demo import demo_products

    item = next(demo_products(seed=7, count=1))
    reading = analyser.analyse_photo(item.image)
    assert not reading.person and [g.kind for g in reading.garments] == ["garment"]
    assert analyser.analyse_photo(Image.new("RGB", (300, 400), (240, 240, 238))).garments == []


def detail(image: Image.Image) -> float:
    """High-frequency energy (variance of the Laplacian): what a blur removes and a face's features need."""
    grey = np.asarray(image.convert("L"), np.float64)
    return float(ndimage.laplace(grey).var())
