"""What every dataset source yields: pictures to add (with label, mask, split, group) or rows it had to skip.

A source reads one kind of input (Fashion-MNIST, the demo catalog, an image folder, a CSV, COCO) and never
writes anything: `stylelens.data.prepare` sends its candidates through the product's decode path into a
`DatasetWriter` and reports the skipped ones. A source that does not know an item's split leaves it None;
the split is then drawn from the item's group (or origin) and the seed, so one group always lands in one split.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol

import numpy as np
from PIL import Image

from stylelens.data.manifest import SourceInfo

SPLIT_FRACTIONS: Final[tuple[float, float]] = (0.8, 0.1)  # train, val; the rest is test
IMAGE_SUFFIXES: Final[frozenset[str]] = frozenset({".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif"})
SPLIT_NAMES: Final[dict[str, str]] = {
    "train": "train", "training": "train", "val": "val", "valid": "val", "validation": "val", "dev": "val",
    "test": "test", "testing": "test",
}  # fmt: skip


@dataclass(frozen=True)
class Candidate:
    """One picture a source wants in the dataset; bytes and paths are decoded (and may be refused) later."""

    image: Image.Image | bytes | Path
    origin: str  # where it came from, for reports: a path, a URL, "train[123]"
    label: str | None = None
    split: str | None = None
    mask: Image.Image | np.ndarray | None = None
    group: str | None = None
    id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    licence: str | None = None  # overrides the source's licence for this item


@dataclass(frozen=True)
class Skipped:
    """A row, file or annotation that could not be imported, and why."""

    origin: str
    reason: str


class Source(Protocol):
    """A readable input of one kind; `candidates` may be read once."""

    info: SourceInfo
    task: str
    labels: list[str] | None  # None: the labels met, sorted

    def total(self) -> int | None: ...

    def candidates(self) -> Iterator[Candidate | Skipped]: ...


def split_for(key: str, seed: int, fractions: tuple[float, float] = SPLIT_FRACTIONS) -> str:
    """A split drawn from a key (a group or an origin) and the seed: the same key always gets the same split."""
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    draw = int.from_bytes(digest[:8], "big") / 2**64
    return "train" if draw < fractions[0] else "val" if draw < fractions[0] + fractions[1] else "test"


class ItemIds:
    """Readable, unique item ids made from origins ("train/shirt/p1.png" -> "train_shirt_p1.png")."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def __call__(self, origin: str) -> str:
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", origin.replace("/", "_")).strip("._-")[:100] or "item"
        candidate, number = base, 1
        while candidate in self._taken:
            number += 1
            candidate = f"{base}-{number}"
        self._taken.add(candidate)
        return candidate


def local_licence(licence: str | None) -> str:
    return licence or "unknown (set --licence)"


def image_files(folder: Path) -> list[Path]:
    """The pictures directly under a folder (by suffix), sorted by name."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def read_mask(data: bytes, *, max_bytes: int, max_pixels: int) -> Image.Image:
    """A mask file as an 8-bit picture, through the same decode path (and limits) as the photos."""
    from stylelens.vision.decode import decode_image

    return decode_image(data, max_bytes=max_bytes, max_pixels=max_pixels).convert("L")
