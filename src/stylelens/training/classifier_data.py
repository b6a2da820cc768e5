"""The garment pictures a classifier trains on, as tensors, and the augmentation it sees (plain torch).

`load_classification` reads either the name `fashion-mnist` (straight from the Debian package; train keeps
55,000 pictures, val is the same seeded 5,000 that `stylelens data prepare fashion-mnist` carves out, test is
the official 10,000) or a prepared `stylelens-dataset/1` folder with task "classification". Pictures stay
uint8 [N, C, H, W] until a batch is drawn; `augment` works on whole batches, seeded by a torch generator.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from stylelens.errors import InvalidInput

FASHION_MNIST: Final[str] = "fashion-mnist"
SPLITS: Final[tuple[str, ...]] = ("train", "val", "test")


@dataclass(frozen=True)
class Split:
    """One split: uint8 pictures [N, C, H, W] and int64 class indices [N]."""

    images: Tensor
    labels: Tensor

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def head(self, n: int | None) -> Split:
        return self if n is None else Split(self.images[:n], self.labels[:n])


@dataclass(frozen=True)
class ClassificationData:
    """The three splits of a classification dataset and what describes it in a model card."""

    name: str
    labels: list[str]
    train: Split
    val: Split
    test: Split
    description: str
    licence: str

    @property
    def image_shape(self) -> tuple[int, int, int]:
        c, h, w = self.train.images.shape[1:]
        return int(c), int(h), int(w)


def load_classification(dataset: str | Path, data_dir: Path | None = None) -> ClassificationData:
    """The named dataset (`fashion-mnist`), a prepared dataset folder, or one under data_dir/datasets."""
    if str(dataset) == FASHION_MNIST:
        return _fashion_mnist()
    root = Path(dataset)
    if not (root / "dataset.json").is_file() and data_dir is not None:
        root = data_dir / "datasets" / str(dataset)
    if not (root / "dataset.json").is_file():
        raise InvalidInput(f"{dataset!r} is neither {FASHION_MNIST!r} nor a prepared dataset folder")
    return _prepared(root)


def _fashion_mnist() -> ClassificationData:
    from stylelens.catalog.fashion_mnist import CLASS_NAMES, load_fashion_mnist
    from stylelens.data.sources.fashion_mnist import LICENCE, _val_indices

    train_images, train_labels = load_fashion_mnist("train")
    test_images, test_labels = load_fashion_mnist("test")
    val = torch.from_numpy(_val_indices(len(train_labels), seed=0))  # the prepared dataset's split, exactly
    images = torch.from_numpy(np.array(train_images)).unsqueeze(1)
    labels = torch.from_numpy(np.array(train_labels))
    return ClassificationData(
        name=FASHION_MNIST,
        labels=list(CLASS_NAMES),
        train=Split(images[~val], labels[~val]),
        val=Split(images[val], labels[val]),
        test=Split(torch.from_numpy(np.array(test_images)).unsqueeze(1), torch.from_numpy(np.array(test_labels))),
        description="Fashion-MNIST (Zalando Research): 28x28 grey product pictures, 10 classes; "
        "train 55,000 / val 5,000 (seeded, from the official train set) / test 10,000 (official)",
        licence=LICENCE,
    )


def _prepared(root: Path) -> ClassificationData:
    from stylelens.data.manifest import Dataset

    dataset = Dataset.open(root)
    if dataset.task != "classification":
        raise InvalidInput(f"{root} is a {dataset.task} dataset, not a classification one")
    index = {label: i for i, label in enumerate(dataset.labels)}
    splits: dict[str, Split] = {}
    for split in SPLITS:
        items = [item for item in dataset.items(split) if item.label is not None]
        pictures = [_read_picture(dataset.image_path(item)) for item in items]
        if not pictures:
            raise InvalidInput(f"{root} has no labelled {split} pictures")
        splits[split] = Split(
            torch.from_numpy(np.stack(pictures)),
            torch.tensor([index[str(item.label)] for item in items], dtype=torch.int64),
        )
    licences = sorted({s.get("licence", "") for s in dataset.sources} - {""})
    counts = ", ".join(f"{name} {len(split):,}" for name, split in splits.items())
    return ClassificationData(
        name=dataset.name,
        labels=dataset.labels,
        description=f"prepared dataset {dataset.name!r} at {root} ({counts})",
        licence="; ".join(licences) or "see the dataset's sources",
        **splits,
    )


def _read_picture(path: Path) -> np.ndarray:
    """A picture as uint8 [C, H, W]: grey pictures keep one channel, anything else becomes RGB."""
    with Image.open(io.BytesIO(path.read_bytes())) as image:
        mode = "L" if image.mode in ("L", "1", "I;16") else "RGB"
        array = np.asarray(image.convert(mode))
    return array[None] if array.ndim == 2 else array.transpose(2, 0, 1)


def augment(images: Tensor, generator: torch.Generator, pad: int = 2, flip: bool = True, erase: float = 0.0) -> Tensor:
    """A randomly shifted (crop after zero padding), mirrored and partly erased copy of a uint8/float batch."""
    n, _, h, w = images.shape
    out = images
    if pad:
        padded = torch.nn.functional.pad(out, (pad, pad, pad, pad))
        dy = torch.randint(0, 2 * pad + 1, (n,), generator=generator)
        dx = torch.randint(0, 2 * pad + 1, (n,), generator=generator)
        rows = (dy[:, None] + torch.arange(h))[:, None, :, None]
        cols = (dx[:, None] + torch.arange(w))[:, None, None, :]
        out = padded[torch.arange(n)[:, None, None, None], torch.arange(out.shape[1])[None, :, None, None], rows, cols]
    if flip:
        mirrored = torch.rand(n, generator=generator) < 0.5
        out = torch.where(mirrored[:, None, None, None], out.flip(3), out)
    if erase > 0:
        out = _erase(out, generator, erase)
    return out


def _erase(images: Tensor, generator: torch.Generator, probability: float) -> Tensor:
    """Random erasing (Zhong et al. 2017): blank a rectangle of 2-25% of the picture, aspect 0.3-3.3."""
    n, _, h, w = images.shape
    area = h * w * (0.02 + 0.23 * torch.rand(n, generator=generator))
    aspect = torch.exp(torch.empty(n).uniform_(np.log(0.3), np.log(3.3), generator=generator))
    eh = torch.sqrt(area * aspect).round().clamp(1, h).long()
    ew = torch.sqrt(area / aspect).round().clamp(1, w).long()
    top = (torch.rand(n, generator=generator) * (h - eh + 1)).long()
    left = (torch.rand(n, generator=generator) * (w - ew + 1)).long()
    chosen = torch.rand(n, generator=generator) < probability
    ys, xs = torch.arange(h)[None, :, None], torch.arange(w)[None, None, :]
    rows = (ys >= top[:, None, None]) & (ys < (top + eh)[:, None, None])
    cols = (xs >= left[:, None, None]) & (xs < (left + ew)[:, None, None])
    inside = rows & cols & chosen[:, None, None]
    return images.masked_fill(inside[:, None], 0)


def batches(split: Split, batch_size: int, generator: torch.Generator | None = None) -> list[Tensor]:
    """Index batches over a split: shuffled with the generator, or in order without one."""
    order = torch.randperm(len(split), generator=generator) if generator is not None else torch.arange(len(split))
    return list(torch.split(order, batch_size))
