"""The dataset manifest: what is written reads back the same, verify() catches tampering, writes are atomic."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from stylelens.data.manifest import FORMAT, Dataset, DatasetError, SourceInfo, perceptual_hash
from stylelens.data.writer import DatasetWriter
from stylelens.errors import ImageError


def pixels(path: Path | None) -> np.ndarray:
    assert path is not None
    with Image.open(path) as picture:
        return np.asarray(picture)


SOURCE = SourceInfo(name="test", kind="imagefolder", licence="CC0", provenance="drawn by the test")
Photo = Callable[[int], Image.Image]


def write_small(root: Path, photo: Photo) -> None:
    with DatasetWriter(root, name="small", task="segmentation", labels=["dress", "shirt"], sources=[SOURCE]) as w:
        mask = np.zeros((96, 96), dtype=bool)
        mask[10:50, 20:70] = True
        w.add(photo(1), split="train", label="shirt", mask=mask, group="P1", id="a", attributes={"colour": "red"})
        w.add(photo(2), split="val", label="dress", group="P2", id="b", source="test", licence="CC0")
        buffer = io.BytesIO()
        photo(3).save(buffer, format="JPEG")
        w.add(buffer.getvalue(), split="test", label="dress", id="c")


def test_round_trip(tmp_path: Path, photo: Photo) -> None:
    root = tmp_path / "ds"
    write_small(root, photo)
    ds = Dataset.open(root)
    ds.verify()
    meta = json.loads((root / "dataset.json").read_text())
    assert meta["format"] == FORMAT and meta["splits"] == {"train": 1, "val": 1, "test": 1}
    assert ds.labels == ["dress", "shirt"] and ds.task == "segmentation" and ds.sources[0]["licence"] == "CC0"
    a, b, c = ds.items()
    assert [i.id for i in ds.items("val")] == ["b"]
    assert a.image == "images/a.png" and a.group == "P1" and a.attributes == {"colour": "red"}
    assert np.array_equal(pixels(ds.image_path(a)), np.asarray(photo(1)))
    mask = pixels(ds.mask_path(a))
    assert mask.dtype == np.uint8 and set(np.unique(mask)) == {0, 255} and mask[30, 40] == 255 and mask[0, 0] == 0
    assert ds.mask_path(b) is None
    assert a.phash == perceptual_hash(photo(1)) and len(a.phash) == 16
    assert c.sha256 and pixels(ds.image_path(c)).shape == (96, 96, 3)


def test_verify_catches_a_tampered_image_and_manifest(tmp_path: Path, photo: Photo) -> None:
    root = tmp_path / "ds"
    write_small(root, photo)
    photo(9).save(root / "images" / "b.png")
    with pytest.raises(DatasetError, match="images/b.png does not match its sha256"):
        Dataset.open(root).verify()
    write_small(root2 := tmp_path / "ds2", photo)
    (root2 / "masks" / "a.png").unlink()
    with pytest.raises(DatasetError, match="masks/a.png is missing"):
        Dataset.open(root2).verify()
    lines = (root2 / "items.jsonl").read_text().replace('"split":"test"', '"split":"train"')
    (root2 / "items.jsonl").write_text(lines)
    with pytest.raises(DatasetError, match="items.jsonl does not match"):
        Dataset.open(root2).verify()


def test_a_failed_write_leaves_nothing_and_an_existing_dataset_is_kept(tmp_path: Path, photo: Photo) -> None:
    root = tmp_path / "ds"
    with (
        pytest.raises(RuntimeError),
        DatasetWriter(root, name="x", task="classification", labels=None, sources=[]) as w,
    ):
        w.add(photo(1), split="train", label="shirt")
        raise RuntimeError("interrupted")
    assert not root.exists() and list(tmp_path.iterdir()) == []
    write_small(root, photo)
    with pytest.raises(DatasetError, match="already exists"):
        DatasetWriter(root, name="x", task="classification", labels=None, sources=[])
    with DatasetWriter(root, name="x", task="classification", labels=None, sources=[], overwrite=True) as w:
        w.add(photo(5), split="train", label="coat")
    assert [i.label for i in Dataset.open(root).items()] == ["coat"] and Dataset.open(root).labels == ["coat"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]


def test_bad_input_is_refused_with_a_reason(tmp_path: Path, photo: Photo) -> None:
    with DatasetWriter(tmp_path / "ds", name="x", task="classification", labels=["shirt"], sources=[]) as w:
        with pytest.raises(ImageError):
            w.add(b"definitely not a picture", split="train", label="shirt")
        with pytest.raises(DatasetError, match="not one of the dataset's labels"):
            w.add(photo(1), split="train", label="hat")
        with pytest.raises(DatasetError, match="split must be"):
            w.add(photo(1), split="holdout", label="shirt")
        with pytest.raises(DatasetError, match="does not match the image size"):
            w.add(photo(1), split="train", label="shirt", mask=np.ones((10, 10), dtype=bool))
        w.add(photo(1), split="train", label="shirt", id="one")
        with pytest.raises(DatasetError, match="used twice"):
            w.add(photo(2), split="train", label="shirt", id="one")
        with pytest.raises(DatasetError, match="letters, digits"):
            w.add(photo(2), split="train", label="shirt", id="../escape")
    assert len(Dataset.open(tmp_path / "ds").items()) == 1
    with pytest.raises(DatasetError, match="not a prepared dataset"):
        Dataset.open(tmp_path)


def test_large_pictures_are_stored_reduced_with_their_masks(tmp_path: Path, photo: Photo) -> None:
    big = photo(7).resize((3000, 1500))
    mask = np.zeros((1500, 3000), dtype=bool)
    mask[:, :1500] = True
    buffer = io.BytesIO()
    big.save(buffer, format="JPEG", quality=90)
    with DatasetWriter(tmp_path / "ds", name="x", task="segmentation", labels=None, sources=[]) as w:
        w.add(buffer.getvalue(), split="train", label="coat", mask=mask, id="jpeg")
        w.add(big, split="train", label="coat", mask=mask, id="pil")
    ds = Dataset.open(tmp_path / "ds")
    for item in ds.items():
        assert pixels(ds.image_path(item)).shape == (512, 1024, 3)
        stored = pixels(ds.mask_path(item)) > 0
        assert stored.shape == (512, 1024) and stored[:, :512].all() and not stored[:, 512:].any()


def test_phash_matches_imagehash(photo: Photo) -> None:
    imagehash = pytest.importorskip("imagehash")
    for seed in range(50):
        picture = photo(seed)
        assert perceptual_hash(picture) == str(imagehash.phash(picture))
