"""The cheap look before the person models: packshots skip them, photos of people never do, answers stay the same."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from stylelens.vision.analysis import GarmentAnalyser
from stylelens.vision.foreground import reduce_photo
from stylelens.vision.person import PersonFinder, PersonReading, might_show_person

PEOPLE = ["astronaut", "grace_hopper", "messi5.jpg", "basketball1.png"]  # basketball1 is black and white


class CountingFinder(PersonFinder):
    """The real pose model, counting how often a photo reaches it."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def find(self, rgb: NDArray[np.uint8]) -> PersonReading | None:
        self.calls += 1
        return super().find(rgb)


def packshot(colour: tuple[int, int, int]) -> Image.Image:
    """A plain garment-shaped block on a light studio background."""
    image = Image.new("RGB", (400, 500), (238, 238, 236))
    image.paste(colour, (90, 80, 310, 430))
    image.paste(colour, (40, 80, 360, 180))  # sleeves
    return image


@pytest.mark.parametrize("name", PEOPLE)
def test_every_photo_of_a_person_reaches_the_person_models(real_photo: Callable[[str], Image.Image], name: str) -> None:
    assert might_show_person(*reduce_photo(np.asarray(real_photo(name))))


@pytest.mark.parametrize("colour", [(30, 60, 170), (20, 130, 60), (120, 40, 150)])
def test_a_packshot_without_skin_colours_skips_them(analyser: GarmentAnalyser, colour: tuple[int, int, int]) -> None:
    counting = CountingFinder()
    quick = GarmentAnalyser(analyser.embedder, persons=counting)
    reading = quick.analyse_photo(packshot(colour))
    assert counting.calls == 0
    assert not reading.person and [g.kind for g in reading.garments] == ["garment"]


def test_a_photo_with_a_person_still_goes_through_pose(
    analyser: GarmentAnalyser, real_photo: Callable[[str], Image.Image]
) -> None:
    counting = CountingFinder()
    quick = GarmentAnalyser(analyser.embedder, persons=counting)
    assert quick.analyse_photo(real_photo("grace_hopper")).person
    assert counting.calls == 1


@pytest.mark.parametrize("colour", [(30, 60, 170), (200, 150, 120)])  # the second one is skin-coloured
def test_reading_a_packshot_alone_gives_the_catalog_reading(
    analyser: GarmentAnalyser, colour: tuple[int, int, int]
) -> None:
    """The photo path (helpers, face look, speculative packshot) and the catalog's batch path agree."""
    image = packshot(colour)
    (alone,) = analyser.analyse_photo(image).garments
    (batch,) = analyser.analyse_batch([image])[0]
    assert np.array_equal(alone.mask, batch.mask)
    assert np.allclose(alone.embedding, batch.embedding, atol=1e-5)
    assert alone.colors == batch.colors and alone.region == batch.region
    assert alone.pattern == batch.pattern and alone.categories == batch.categories
