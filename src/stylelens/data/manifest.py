"""A prepared training dataset on disk: a manifest of images, masks, labels, splits, licences and checksums.

Layout of a dataset folder::

    dataset.json   format, name, task, labels, sources (licence, provenance), created, split counts,
                   items_sha256 (the sha256 of items.jsonl)
    items.jsonl    one item a line: id, image, sha256, split, label, mask, mask_sha256, group, phash,
                   source, licence, attributes
    images/<id>.png, masks/<id>.png (8-bit, 0 = background, 255 = garment)

`DatasetWriter` (data/writer.py) streams items to a hidden sibling folder and renames it into place only when the `with`
block ends without an error, so a dataset folder is always either complete or absent. Pictures go through the
product's decode path (limits, EXIF orientation, no metadata kept) and are stored as PNG at most `max_side`
pixels long (1024 by default; masks follow with nearest-neighbour). Example::

    with DatasetWriter(root, name="shirts", task="classification", labels=["shirt"], sources=[...]) as w:
        w.add(image=photo, split="train", label="shirt", source="shop", licence="proprietary")
    Dataset.open(root).verify()
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Final

from stylelens.data.pictures import perceptual_hash
from stylelens.errors import InvalidInput

FORMAT: Final[str] = "stylelens-dataset/1"
TASKS: Final[frozenset[str]] = frozenset({"classification", "segmentation", "retrieval"})
SPLITS: Final[tuple[str, ...]] = ("train", "val", "test")
MAX_SIDE: Final[int] = 1024  # a stored picture's longer side at most: training reads 224-512 pixels

__all__ = [
    "FORMAT", "SPLITS", "TASKS", "Dataset", "DatasetError", "Item", "SourceInfo", "perceptual_hash",
]  # fmt: skip


class DatasetError(InvalidInput):
    """A dataset folder that is missing, malformed or tampered with, or an item that cannot be added to one."""

    title = "Invalid dataset"


@dataclass(frozen=True)
class SourceInfo:
    """Where a dataset's pictures come from and under which licence they may be used."""

    name: str
    kind: str
    licence: str
    provenance: str

    def to_json(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class Item:
    """One picture of a dataset with its label, optional mask, split and checksums (paths relative, posix)."""

    id: str
    image: str
    sha256: str
    split: str
    label: str | None = None
    mask: str | None = None
    group: str | None = None
    phash: str | None = None
    source: str = ""
    licence: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    mask_sha256: str | None = None

    def to_json(self) -> dict[str, Any]:
        # Not dataclasses.asdict: its deep copy costs more than writing the picture for small ones.
        return {name: getattr(self, name) for name in _ITEM_FIELDS}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Item:
        try:
            return cls(
                id=str(data["id"]),
                image=str(data["image"]),
                sha256=str(data["sha256"]),
                split=str(data["split"]),
                label=data.get("label"),
                mask=data.get("mask"),
                group=data.get("group"),
                phash=data.get("phash"),
                source=str(data.get("source", "")),
                licence=str(data.get("licence", "")),
                attributes=dict(data.get("attributes") or {}),
                mask_sha256=data.get("mask_sha256"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DatasetError(f"malformed item {dict(data)!r}: {exc}") from None


_ITEM_FIELDS: Final[tuple[str, ...]] = tuple(f.name for f in fields(Item))


class Dataset:
    """A prepared dataset folder, opened read-only; `verify` proves nothing was changed since it was written."""

    def __init__(self, root: Path, meta: dict[str, Any]) -> None:
        self.root = root
        self.meta = meta
        self._items: list[Item] | None = None

    @classmethod
    def open(cls, root: Path | str) -> Dataset:
        root = Path(root)
        try:
            meta = json.loads((root / "dataset.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DatasetError(f"{root} is not a prepared dataset: dataset.json is missing") from None
        except (OSError, ValueError) as exc:
            raise DatasetError(f"cannot read {root / 'dataset.json'}: {exc}") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise DatasetError(f"{root} is not a {FORMAT} dataset")
        return cls(root, meta)

    @property
    def name(self) -> str:
        return str(self.meta["name"])

    @property
    def task(self) -> str:
        return str(self.meta["task"])

    @property
    def labels(self) -> list[str]:
        return list(self.meta.get("labels") or [])

    @property
    def sources(self) -> list[dict[str, str]]:
        return list(self.meta.get("sources") or [])

    def items(self, split: str | None = None) -> list[Item]:
        if self._items is None:
            self._items = list(self._read_items())
        return [it for it in self._items if split is None or it.split == split]

    def image_path(self, item: Item) -> Path:
        return self.root / item.image

    def mask_path(self, item: Item) -> Path | None:
        return self.root / item.mask if item.mask else None

    def verify(self) -> None:
        """Check the manifest's and every file's sha256 and the split counts; DatasetError lists what is wrong."""
        problems: list[str] = []
        digest = file_sha256(self.root / "items.jsonl")
        if digest != self.meta.get("items_sha256"):
            problems.append("items.jsonl does not match its sha256 in dataset.json")
        items = self.items()
        for item in items:
            problems.extend(self._check_files(item))
            if len(problems) > 20:
                break
        counts = Counter(item.split for item in items)
        if {s: counts.get(s, 0) for s in SPLITS} != {s: self.meta.get("splits", {}).get(s, 0) for s in SPLITS}:
            problems.append(f"split counts {dict(counts)} differ from dataset.json {self.meta.get('splits')}")
        if problems:
            shown = "; ".join(problems[:10])
            raise DatasetError(f"dataset {self.root} failed verification ({len(problems)} problems): {shown}")

    def _check_files(self, item: Item) -> Iterator[str]:
        for rel, expected in ((item.image, item.sha256), (item.mask, item.mask_sha256)):
            if rel is None:
                continue
            path = self.root / rel
            if not path.is_file():
                yield f"{rel} is missing"
            elif expected is not None and file_sha256(path) != expected:
                yield f"{rel} does not match its sha256"

    def rewrite_items(self, items: Sequence[Item]) -> None:
        """Replace the manifest's items (for example after moving leaking items to another split), atomically."""
        tmp = self.root / "items.jsonl.tmp"
        digest = hashlib.sha256()
        with tmp.open("wb") as handle:
            for item in items:
                line = json.dumps(item.to_json(), ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
                handle.write(line)
                digest.update(line)
        counts = Counter(item.split for item in items)
        meta = {**self.meta, "items_sha256": digest.hexdigest(), "splits": {s: counts.get(s, 0) for s in SPLITS}}
        os.replace(tmp, self.root / "items.jsonl")
        write_json(self.root / "dataset.json", meta)
        self.meta, self._items = meta, list(items)

    def _read_items(self) -> Iterator[Item]:
        try:
            with (self.root / "items.jsonl").open(encoding="utf-8") as handle:
                for number, line in enumerate(handle, 1):
                    if line.strip():
                        try:
                            yield Item.from_json(json.loads(line))
                        except ValueError as exc:
                            raise DatasetError(f"items.jsonl line {number} is not JSON: {exc}") from None
        except FileNotFoundError:
            raise DatasetError(f"{self.root} has no items.jsonl") from None


def default_dataset_dir(data_dir: Path, name: str) -> Path:
    """Where a prepared dataset named `name` lives by default: <data_dir>/datasets/<name>."""
    return Path(data_dir) / "datasets" / name


def with_split(item: Item, split: str) -> Item:
    return replace(item, split=split)


def file_sha256(path: Path) -> str:
    """The file's sha256 (hex), or "" when it cannot be read."""
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return ""


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    """Write a JSON file whole or not at all (a temporary file renamed into place)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
