"""Duplicates and leakage: a re-encoded copy of a training photo in the test split is found and moved."""

from __future__ import annotations

import io
from collections.abc import Callable
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from stylelens.data.dedup import check_dataset, check_items, fix_leakage, near_pairs
from stylelens.data.manifest import Dataset, Item
from stylelens.data.prepare import prepare_dataset
from stylelens.data.sources.imagefolder import ImageFolderSource

Photo = Callable[[int], Image.Image]


@pytest.mark.parametrize("threshold", [0, 2, 4, 7])
def test_near_pairs_finds_exactly_the_brute_force_pairs(threshold: int) -> None:
    rng = np.random.default_rng(threshold)
    base = rng.integers(0, 2**63, 400, dtype=np.uint64)
    flips = [np.uint64(sum(1 << int(b) for b in rng.choice(64, k, replace=False))) for k in rng.integers(0, 9, 400)]
    values = np.concatenate([base, base ^ np.array(flips, dtype=np.uint64)])
    expected = {
        (i, j, d)
        for i, j in combinations(range(len(values)), 2)
        if (d := int(values[i] ^ values[j]).bit_count()) <= threshold
    }
    assert {tuple(int(v) for v in row) for row in near_pairs(values, threshold)} == expected
    assert len(expected) > 50 or threshold == 0


def item(id_: str, split: str, phash: str, group: str | None = None, sha: str | None = None) -> Item:
    return Item(id=id_, image=f"images/{id_}.png", sha256=sha or id_, split=split, phash=phash, group=group)


def test_close_hashes_of_different_pictures_are_not_near_duplicates() -> None:
    items = [item("a", "train", "ffff000000000000"), item("b", "test", "ffff000000000001")]
    looks = {"a": np.zeros((16, 16)), "b": np.tile(np.arange(16.0) * 8, (16, 1))}
    report = check_items(items, 4, thumbnail=lambda it: looks[it.id])
    assert report.candidates == 1 and report.near_pairs == [] and report.leaks == 0
    same = check_items(items, 4, thumbnail=lambda it: looks["a"] + (5.0 if it.id == "b" else 0.0))  # brighter copy
    assert same.near_pairs == [("a", "b", 1)] and same.leaking_pairs == [("a", "b", 1)]


def test_exact_copies_and_groups_across_splits_leak_and_are_fixed() -> None:
    items = [
        item("a", "train", "0000000000000001", sha="x"),
        item("b", "test", "0000000000000001", sha="x"),  # a byte-identical copy of a
        item("c", "train", "00000000ffff0000", group="P1"),
        item("d", "val", "ffff000000ff0000", group="P1"),
        item("e", "val", "ff00ff00ff00ff00", group="P1"),
    ]
    report = check_items(items)
    assert report.exact_groups == [["a", "b"]] and report.near_pairs == []
    assert report.leaking_pairs == [("a", "b", 0)] and report.leaking_groups == {"P1": ["train", "val"]}
    fixed, moved = fix_leakage(items, report)
    assert moved == {"b": ("test", "train"), "c": ("train", "val")}  # the majority split wins, ties go to train
    assert check_items(fixed).leaks == 0


def test_a_reencoded_train_photo_in_test_is_caught_and_moved(tmp_path: Path, image_folder: Path) -> None:
    original = image_folder / "train" / "shirt" / "p1.png"
    with Image.open(original) as picture:
        buffer = io.BytesIO()
        picture.resize((90, 90)).save(buffer, format="JPEG", quality=75)
    (image_folder / "test" / "shirt" / "copy.jpg").write_bytes(buffer.getvalue())
    out = tmp_path / "ds"
    report = prepare_dataset(ImageFolderSource(image_folder), out)
    ds = Dataset.open(out)
    by_origin = {it.attributes["origin"]: it for it in ds.items()}
    twin, copy = by_origin["train/shirt/p1.png"], by_origin["test/shirt/copy.jpg"]
    assert [{a, b} for a, b, _ in report.duplicates.leaking_pairs] == [{twin.id, copy.id}]
    assert [{a, b} for a, b, _ in report.duplicates.near_pairs] == [{twin.id, copy.id}]  # no false alarms
    assert [s.origin for s in report.skipped] == ["train/shirt/broken.jpg"]

    fixed = prepare_dataset(ImageFolderSource(image_folder), out, overwrite=True, fix=True)
    assert fixed.duplicates.moved == {copy.id: ("test", "train")} and fixed.duplicates.leaks == 0
    ds = Dataset.open(out)
    ds.verify()
    assert {it.id: it.split for it in ds.items()}[copy.id] == "train" and ds.meta["splits"]["test"] == 4
    assert check_dataset(ds).leaks == 0
