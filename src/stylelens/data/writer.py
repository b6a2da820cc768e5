"""Writing a prepared dataset (the layout is in data/manifest.py): item by item, into a hidden sibling folder
renamed into place only when the `with` block ends without an error, so a dataset folder is always either
complete or absent."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final

import numpy as np
from PIL import Image

from stylelens.data.manifest import (
    FORMAT,
    MAX_SIDE,
    SPLITS,
    TASKS,
    DatasetError,
    Item,
    SourceInfo,
    write_json,
)
from stylelens.data.pictures import encode_png, mask_image, perceptual_hash
from stylelens.vision.decode import decode_photo

WRITE_THREADS: Final[int] = 4
_ID_PATTERN: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")

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
        write_json(self._tmp / "dataset.json", meta)
        _replace_dir(self._tmp, self.root)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _replace_dir(new: Path, target: Path) -> None:
    """Move a finished folder into place; an older dataset at `target` is removed only after the move."""
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)
