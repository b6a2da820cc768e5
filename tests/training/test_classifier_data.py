"""Classifier data: Fashion-MNIST split like `data prepare` does it, prepared folders, batch augmentation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch")

from stylelens.catalog.fashion_mnist import CLASS_NAMES, load_fashion_mnist  # noqa: E402
from stylelens.data.writer import DatasetWriter  # noqa: E402
from stylelens.errors import InvalidInput, NotReady  # noqa: E402
from stylelens.training.classifier_data import augment, load_classification  # noqa: E402

try:
    load_fashion_mnist("test")
except NotReady:  # pragma: no cover - the Debian package is installed by `make test`
    pytest.skip("Fashion-MNIST is not installed", allow_module_level=True)


def test_fashion_mnist_splits_are_disjoint_and_complete() -> None:
    data = load_classification("fashion-mnist")
    assert (len(data.train), len(data.val), len(data.test)) == (55_000, 5_000, 10_000)
    assert data.labels == list(CLASS_NAMES) and data.image_shape == (1, 28, 28)
    assert data.train.images.dtype == torch.uint8 and data.train.labels.dtype == torch.int64
    assert torch.bincount(data.val.labels, minlength=10).min() > 400  # a random carve-out keeps every class
    official, _ = load_fashion_mnist("train")
    together = torch.cat([data.train.images, data.val.images]).flatten(1)
    assert together.sum() == int(official.astype(np.int64).sum())  # no picture lost or repeated


def test_a_prepared_dataset_folder_loads_with_its_splits(tmp_path: Path) -> None:
    images, labels = load_fashion_mnist("test")
    root = tmp_path / "datasets" / "tiny"  # where `stylelens data prepare` puts it under data_dir
    with DatasetWriter(root, name="tiny", task="classification", labels=list(CLASS_NAMES), sources=[]) as writer:
        for i in range(30):
            split = ("train", "val", "test")[i % 3]
            writer.add(Image.fromarray(images[i]), split=split, label=CLASS_NAMES[int(labels[i])], licence="MIT")
    data = load_classification(root)
    assert (len(data.train), len(data.val), len(data.test)) == (10, 10, 10) and data.image_shape == (1, 28, 28)
    assert torch.equal(data.train.images[1, 0], torch.from_numpy(images[3].copy()))
    assert data.train.labels[1] == int(labels[3])
    assert load_classification("tiny", data_dir=tmp_path).description == data.description  # found by name
    with pytest.raises(InvalidInput, match="neither"):
        load_classification(tmp_path / "missing")


def test_augmentation_is_seeded_and_only_shifts_mirrors_and_erases() -> None:
    pictures = torch.from_numpy(load_fashion_mnist("test")[0][:64].copy()).unsqueeze(1)
    same = [augment(pictures, torch.Generator().manual_seed(5), erase=0.5) for _ in range(2)]
    assert torch.equal(same[0], same[1]) and same[0].shape == pictures.shape
    assert not torch.equal(same[0], augment(pictures, torch.Generator().manual_seed(6), erase=0.5))
    assert torch.equal(augment(pictures, torch.Generator(), pad=0, flip=False), pictures)
    mirrored = augment(pictures, torch.Generator().manual_seed(1), pad=0)
    kept = [torch.equal(m, p) for m, p in zip(mirrored, pictures, strict=True)]
    flipped = [torch.equal(m, p.flip(2)) for m, p in zip(mirrored, pictures, strict=True)]
    assert all(k or f for k, f in zip(kept, flipped, strict=True)) and 10 < sum(flipped) < 54
    shifted = augment(pictures, torch.Generator().manual_seed(2), pad=2, flip=False)
    for s, p in zip(shifted, pictures, strict=True):  # each is the picture moved by at most 2 px, zeros around
        found = False
        for dy in range(-2, 3):
            for dx in range(-2, 3):
                padded = torch.nn.functional.pad(p, (2, 2, 2, 2))
                if torch.equal(padded[:, 2 + dy : 30 + dy, 2 + dx : 30 + dx], s):
                    found = True
        assert found
    erased = augment(pictures, torch.Generator().manual_seed(3), pad=0, flip=False, erase=1.0)
    assert bool((erased <= pictures).all()) and int((erased != pictures).flatten(1).any(1).sum()) > 48
