"""Fashion-MNIST as a dataset: the official 60,000 training pictures become train and a seeded 5,000 val,
the official 10,000 test pictures stay test. Read from the Debian package dataset-fashion-mnist."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np
from PIL import Image

from stylelens.catalog.fashion_mnist import CLASS_NAMES, default_root, load_fashion_mnist
from stylelens.data.manifest import SourceInfo
from stylelens.data.sources.base import Candidate, Skipped

LICENCE: Final[str] = "MIT (Fashion-MNIST, Copyright (c) 2017 Zalando SE)"
VAL_FRACTION: Final[float] = 5000 / 60000
TEST_FRACTION: Final[float] = 10000 / 70000


@dataclass
class FashionMnistSource:
    """The Fashion-MNIST pictures (28x28 grey), labelled with the 10 class names."""

    root: Path | None = None
    seed: int = 0
    limit: int | None = None  # at most this many pictures in all, in the official proportions (for tests)
    task: str = "classification"
    info: SourceInfo = field(init=False)
    labels: list[str] | None = field(init=False)

    def __post_init__(self) -> None:
        folder = self.root if self.root is not None else default_root()
        self.info = SourceInfo(
            name="fashion-mnist",
            kind="fashion-mnist",
            licence=LICENCE,
            provenance=f"Zalando Research Fashion-MNIST (Xiao, Rasul & Vollgraf 2017), IDX files read from {folder}",
        )
        self.labels = list(CLASS_NAMES)

    def _counts(self) -> tuple[int, int]:
        if self.limit is None:
            return 60000, 10000
        test = round(self.limit * TEST_FRACTION)
        return min(self.limit - test, 60000), min(test, 10000)

    def total(self) -> int:
        return sum(self._counts())

    def candidates(self) -> Iterator[Candidate | Skipped]:
        n_train, n_test = self._counts()
        for official, count in (("train", n_train), ("test", n_test)):
            images, labels = load_fashion_mnist(official, self.root)  # type: ignore[arg-type]
            val = _val_indices(count, self.seed) if official == "train" else np.zeros(count, dtype=bool)
            for index in range(count):
                yield Candidate(
                    image=Image.fromarray(images[index]),
                    origin=f"{official}[{index}]",
                    label=CLASS_NAMES[int(labels[index])],
                    split="val" if val[index] else official,
                    id=f"fmnist-{official}-{index:05d}",
                    attributes={"official_split": official, "index": index},
                )


def _val_indices(count: int, seed: int) -> np.ndarray:
    """A seeded choice of 1/12 of the training pictures (5,000 of 60,000) as a boolean mask."""
    chosen = np.zeros(count, dtype=bool)
    chosen[np.random.default_rng([seed, 5000]).permutation(count)[: round(count * VAL_FRACTION)]] = True
    return chosen
