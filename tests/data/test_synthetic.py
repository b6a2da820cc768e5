"""Synthetic segmentation composites: exact masks, reproducible from a seed, splits that measure generalisation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from stylelens.data.manifest import Dataset
from stylelens.data.synthetic import HELD_OUT, Garment, compose, product_splits, synthesize, write_dataset

MAGENTA = np.array([255, 0, 255], np.uint8)
TINY = {"products": 12, "per_product": 2, "side": 64, "seed": 3}


def _solid_garment() -> Garment:
    """A pure magenta T-shaped garment: any pixel of that colour in a composite can only come from it."""
    mask = np.zeros((60, 50), bool)
    mask[:20, :] = True
    mask[:, 15:35] = True
    return Garment("FI-TEST", "t-shirt", np.broadcast_to(MAGENTA, (60, 50, 3)).copy(), mask)


@pytest.mark.parametrize("seed", range(6))
def test_the_mask_is_exactly_the_pixels_the_garment_was_pasted_on(seed: int) -> None:
    backdrop = np.full((96, 96, 3), 128, np.uint8)
    shot = compose([_solid_garment()], backdrop, "sheet", "sheet", np.random.default_rng(seed))
    is_garment_colour = (shot.clean == MAGENTA).all(-1)
    assert shot.mask.any()
    np.testing.assert_array_equal(shot.mask, is_garment_colour)
    np.testing.assert_array_equal(shot.clean[~shot.mask], backdrop[~shot.mask])


@pytest.fixture(scope="module")
def tiny() -> list[tuple[str, object]]:
    return list(synthesize(**TINY))


def test_outside_the_mask_every_composite_keeps_its_background(tiny: list) -> None:
    for _, shot in tiny:
        changed = (shot.clean != shot.backdrop).any(-1)
        assert not (changed & ~shot.mask).any(), "pixels changed outside the garment mask"
        assert changed[shot.mask].mean() > 0.9  # the garment really covers what the mask says
        assert np.asarray(shot.image).shape == (64, 64, 3)


def test_same_seed_same_composites_other_seed_other_composites(tiny: list) -> None:
    again = list(synthesize(**TINY))
    for (split_a, a), (split_b, b) in zip(tiny, again, strict=True):
        assert split_a == split_b
        assert a.image.tobytes() == b.image.tobytes()
        np.testing.assert_array_equal(a.mask, b.mask)
    other = next(iter(synthesize(**{**TINY, "seed": 4})))[1]
    assert other.image.tobytes() != tiny[0][1].image.tobytes()


def test_products_stay_in_one_split_and_test_backgrounds_are_held_out(tiny: list) -> None:
    splits_of: dict[str, set[str]] = {}
    for split, shot in tiny:
        for product in shot.products:
            splits_of.setdefault(product, set()).add(split)
        if split == "test":
            assert shot.background in HELD_OUT | {"sheet"}
        else:
            assert shot.background not in HELD_OUT
    assert all(len(s) == 1 for s in splits_of.values())
    assert {split for split, _ in tiny} == {"train", "val", "test"}
    assert product_splits(200, 0).count("test") == 30


def test_written_dataset_verifies_and_its_masks_match_the_composites(tmp_path: Path, tiny: list) -> None:
    write_dataset(tmp_path / "synth", **TINY)
    dataset = Dataset.open(tmp_path / "synth")
    dataset.verify()
    assert dataset.task == "segmentation"
    items = dataset.items()
    assert len(items) == len(tiny) == 24
    for item, (split, shot) in zip(items, tiny, strict=True):
        assert item.split == split and item.group == shot.products[0]
        mask_path = dataset.mask_path(item)
        assert mask_path is not None
        np.testing.assert_array_equal(np.asarray(Image.open(mask_path)) == 255, shot.mask)
        np.testing.assert_array_equal(np.asarray(Image.open(dataset.image_path(item))), np.asarray(shot.image))
