"""A prepared training dataset on disk: a manifest of images, masks, labels, splits, licences and checksums.

Layout of a dataset folder::

    dataset.json   format, name, task, labels, sources (licence, provenance), created, split counts,
                   items_sha256 (the sha256 of items.jsonl)
    items.jsonl    one item a line: id, image, sha256, split, label, mask, mask_sha256, group, phash,
                   source, licence, attributes
    images/<id>.png, masks/<id>.png (8-bit, 0 = background, 255 = garment)

`DatasetWriter` streams items to a hidden sibling folder and renames it into place only when the `with`
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
import re
import shutil
from collections import Counter, deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final

import numpy as np
from PIL import Image

from stylelens.data.pictures import encode_png, mask_image, perceptual_hash
from stylelens.errors import InvalidInput
from stylelens.vision.decode import decode_photo

FORMAT: Final[str] = "stylelens-dataset/1"
TASKS: Final[frozenset[str]] = frozenset({"classification", "segmentation", "retrieval"})
SPLITS: Final[tuple[str, ...]] = ("train", "val", "test")
WRITE_THREADS: Final[int] = 4
MAX_SIDE: Final[int] = 1024  # a stored picture's longer side at most: training reads 224-512 pixels
_ID_PATTERN: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")

__all__ = [
    "FORMAT", "SPLITS", "TASKS", "Dataset", "DatasetError", "DatasetWriter", "Item", "SourceInfo", "perceptual_hash",
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
ImageInput = Image.Image | bytes | Path


class DatasetWriter:
    """Writes a dataset item by item; the folder appears at `root` only when the `with` block succeeds."""

    def __init__(
        self,
        root: Path,
        *,
        name: str,
        task: str,
        labels: Sequence[str] | None,
        sources: Sequence[SourceInfo | Mapping[str, str]],
        overwrite: bool = False,
        phash: bool = True,
        max_bytes: int = 15 * 1024 * 1024,
        max_pixels: int = 40_000_000,
        max_side: int | None = MAX_SIDE,
    ) -> None:
        if task not in TASKS:
            raise DatasetError(f"task must be one of {sorted(TASKS)}, not {task!r}")
        self.root = Path(root)
        if self.root.exists() and not overwrite:
            raise DatasetError(f"{self.root} already exists; pass overwrite to replace it")
        self.name, self.task = name, task
        self.labels: list[str] | None = list(labels) if labels is not None else None
        self.sources = [s.to_json() if isinstance(s, SourceInfo) else dict(s) for s in sources]
        self.phash, self.max_bytes, self.max_pixels, self.max_side = phash, max_bytes, max_pixels, max_side
        self._tmp = self.root.parent / f".{self.root.name}.tmp-{os.getpid()}"
        self._ids: set[str] = set()
        self._splits: Counter[str] = Counter()
        self._seen_labels: dict[str, None] = {}
        self._digest = hashlib.sha256()
        self._items: IO[bytes] | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._pending: deque[Future[int]] = deque()

    def __enter__(self) -> DatasetWriter:
        if self._tmp.exists():
            shutil.rmtree(self._tmp)
        (self._tmp / "images").mkdir(parents=True)
        (self._tmp / "masks").mkdir()
        self._items = (self._tmp / "items.jsonl").open("wb")
        self._pool = ThreadPoolExecutor(WRITE_THREADS, thread_name_prefix="dataset-write")
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._items is not None:
            self._items.close()
            self._items = None
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        try:
            if kind is None:
                self._drain(0)
                self._finish()
        finally:
            self._pending.clear()
            shutil.rmtree(self._tmp, ignore_errors=True)  # after _finish it is gone already

    @property
    def count(self) -> int:
        return sum(self._splits.values())

    def add(
        self,
        image: ImageInput,
        *,
        split: str,
        label: str | None = None,
        mask: Image.Image | np.ndarray | None = None,
        group: str | None = None,
        source: str = "",
        licence: str = "",
        attributes: Mapping[str, Any] | None = None,
        id: str | None = None,  # noqa: A002 - the manifest's own field name
    ) -> Item:
        """Add one picture; bytes and paths go through the product's decode path (ImageError if unreadable)."""
        if self._items is None:
            raise DatasetError("add() outside the writer's with-block")
        item_id = id if id is not None else f"{self.count:08d}"
        self._check(item_id, split, label)
        picture, full_size = self._picture(image)
        image_bytes = encode_png(picture)
        mask_rel = mask_sha = None
        if mask is not None:
            try:
                mask_bytes = encode_png(mask_image(mask, full_size, picture.size), mask=True)
            except ValueError as exc:
                raise DatasetError(str(exc)) from None
            mask_rel, mask_sha = f"masks/{item_id}.png", _sha256(mask_bytes)
            self._write(mask_rel, mask_bytes)
        image_rel = f"images/{item_id}.png"
        self._write(image_rel, image_bytes)
        item = Item(
            id=item_id, image=image_rel, sha256=_sha256(image_bytes), split=split, label=label,
            mask=mask_rel, group=group, phash=perceptual_hash(picture) if self.phash else None,
            source=source, licence=licence, attributes=dict(attributes or {}), mask_sha256=mask_sha,
        )  # fmt: skip
        line = json.dumps(item.to_json(), ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        self._items.write(line)
        self._digest.update(line)
        self._ids.add(item_id)
        self._splits[split] += 1
        if label is not None:
            self._seen_labels.setdefault(label, None)
        return item

    def _write(self, relative: str, data: bytes) -> None:
        """Write a file in a worker thread: creating many small files is bound by the file system, not Python."""
        assert self._pool is not None
        self._pending.append(self._pool.submit((self._tmp / relative).write_bytes, data))
        self._drain(256)

    def _drain(self, keep: int) -> None:
        while len(self._pending) > keep:
            self._pending.popleft().result()

    def _check(self, item_id: str, split: str, label: str | None) -> None:
        if not _ID_PATTERN.match(item_id):
            raise DatasetError(f"item id {item_id!r} must be letters, digits, '.', '_' or '-' (at most 128)")
        if item_id in self._ids:
            raise DatasetError(f"item id {item_id!r} is used twice")
        if split not in SPLITS:
            raise DatasetError(f"split must be one of {SPLITS}, not {split!r}")
        if label is not None and self.labels is not None and label not in self.labels:
            raise DatasetError(f"label {label!r} is not one of the dataset's labels")

    def _picture(self, image: ImageInput) -> tuple[Image.Image, tuple[int, int]]:
        """The picture to store (upright, bare, at most max_side), and its full upright size (for the mask)."""
        if isinstance(image, Path):
            image = image.read_bytes()
        if isinstance(image, bytes):
            limits = {"max_bytes": self.max_bytes, "max_pixels": self.max_pixels}
            picture, full = decode_photo(image, **limits, work_side=self.max_side)  # JPEGs decode at 1/2..1/8
        else:
            full = image.size
            picture = Image.fromarray(np.asarray(image if image.mode in ("L", "RGB") else image.convert("RGB")))
        if self.max_side and max(picture.size) > self.max_side:
            picture.thumbnail((self.max_side, self.max_side), Image.Resampling.LANCZOS)
        return picture, full

    def _finish(self) -> None:
        labels = self.labels if self.labels is not None else sorted(self._seen_labels)
        meta = {
            "format": FORMAT,
            "name": self.name,
            "task": self.task,
            "labels": labels,
            "sources": self.sources,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "splits": {split: self._splits.get(split, 0) for split in SPLITS},
            "items_sha256": self._digest.hexdigest(),
        }
        _write_json(self._tmp / "dataset.json", meta)
        _replace_dir(self._tmp, self.root)


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
        digest = _file_sha256(self.root / "items.jsonl")
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
            elif expected is not None and _file_sha256(path) != expected:
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
        _write_json(self.root / "dataset.json", meta)
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


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha256(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return ""


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _replace_dir(new: Path, target: Path) -> None:
    """Move a finished folder into place; an older dataset at `target` is removed only after the move."""
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)
