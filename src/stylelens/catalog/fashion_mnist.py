"""Read the Fashion-MNIST garment pictures (60,000 train + 10,000 test, 28x28 grey) without PyTorch.

The files are the four IDX files of the Debian package ``dataset-fashion-mnist`` (gzip-compressed or not),
looked up in ``$STYLELENS_FASHION_MNIST_DIR`` or else in ``/usr/share/datasets/fashion-mnist``.
"""

from __future__ import annotations

import gzip
import os
from functools import lru_cache
from pathlib import Path
from typing import Final, Literal

import numpy as np

from stylelens.errors import NotReady

DEFAULT_ROOT: Final[Path] = Path("/usr/share/datasets/fashion-mnist")
ENV_VAR: Final[str] = "STYLELENS_FASHION_MNIST_DIR"

# Index i is the name of label i, as published with the data set.
CLASS_NAMES: Final[tuple[str, ...]] = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

Split = Literal["train", "test"]
_PREFIX: Final[dict[str, str]] = {"train": "train", "test": "t10k"}
_IDX_DTYPE: Final[int] = 0x08  # unsigned byte, the only element type Fashion-MNIST uses


def default_root() -> Path:
    """The folder holding the Fashion-MNIST files: the env var if set, else the Debian path."""
    env = os.environ.get(ENV_VAR, "").strip()
    return Path(env) if env else DEFAULT_ROOT


def load_fashion_mnist(split: Split, root: Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The garment pictures and their class labels of one split: (n, 28, 28) uint8 and (n,) int64.

    Raises NotReady when the files are missing. The arrays are shared and read-only.
    """
    images = _read_idx(_find(split, "images", root))
    labels = load_fashion_mnist_labels(split, root)
    if images.ndim != 3 or images.shape[0] != labels.shape[0]:
        raise NotReady(f"Fashion-MNIST {split} images {images.shape} do not match {labels.shape[0]} labels")
    return images, labels


def load_fashion_mnist_labels(split: Split, root: Path | None = None) -> np.ndarray:
    """Only the class labels of one split, (n,) int64: much cheaper than the pictures."""
    raw = _read_idx(_find(split, "labels", root))
    if raw.ndim != 1:
        raise NotReady(f"Fashion-MNIST {split} labels have shape {raw.shape}, expected one dimension")
    return _labels_as_int64(raw)


def _find(split: Split, kind: Literal["images", "labels"], root: Path | None) -> Path:
    """The path of one IDX file, gzip-compressed or plain; NotReady when neither exists."""
    if split not in _PREFIX:
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    folder = Path(root) if root is not None else default_root()
    stem = f"{_PREFIX[split]}-{kind}-idx{3 if kind == 'images' else 1}-ubyte"
    for name in (f"{stem}.gz", stem):
        if (folder / name).is_file():
            return (folder / name).resolve()
    raise NotReady(
        f"Fashion-MNIST file {stem}.gz not found in {folder}: install the Debian package "
        f"dataset-fashion-mnist or set {ENV_VAR} to the folder holding the IDX files"
    )


@lru_cache(maxsize=8)
def _read_idx(path: Path) -> np.ndarray:
    """Decode one IDX file (magic, dimensions, then the bytes) into a read-only uint8 array."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            data = handle.read()
    except (OSError, EOFError) as exc:
        raise NotReady(f"cannot read Fashion-MNIST file {path}: {exc}") from exc
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != _IDX_DTYPE:
        raise NotReady(f"{path} is not an unsigned-byte IDX file")
    ndim = data[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if len(data) != header + int(np.prod(shape)):
        raise NotReady(f"{path} is truncated: expected {int(np.prod(shape))} values of shape {shape}")
    array = np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)
    array.flags.writeable = False
    return array


def _labels_as_int64(raw: np.ndarray) -> np.ndarray:
    """The labels widened to int64, read-only."""
    out = raw.astype(np.int64)
    out.flags.writeable = False
    return out
