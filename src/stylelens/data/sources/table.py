"""A CSV of pictures as a dataset: columns path_or_url, label, and optionally split, mask and group.

Local paths are relative to the CSV's folder. URLs are fetched concurrently with the catalog's image fetcher
(timeouts, retries, byte and pixel limits). A row that cannot be read (no label, a 404, a broken picture) is
reported and skipped; the rest of the file is imported.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Final

from PIL import Image

from stylelens.catalog.fetch import FetchResult, ImageFetcher
from stylelens.data.manifest import SourceInfo
from stylelens.data.sources.base import (
    SPLIT_NAMES,
    Candidate,
    ItemIds,
    Skipped,
    local_licence,
    read_mask,
    split_for,
)
from stylelens.errors import StyleLensError

PATH_COLUMNS: Final[tuple[str, ...]] = ("path_or_url", "image", "path", "url")
CHUNK: Final[int] = 256  # rows fetched at once: bounds the decoded pictures held in memory


@dataclass
class CsvSource:
    """Rows of (picture, label[, split][, mask][, group]) in a CSV file."""

    path: Path
    seed: int = 0
    licence: str | None = None
    task: str = "classification"
    timeout_s: float = 10.0
    retries: int = 2
    max_bytes: int = 15 * 1024 * 1024
    max_pixels: int = 40_000_000
    info: SourceInfo = field(init=False)
    labels: list[str] | None = field(init=False)

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        with self.path.open(newline="", encoding="utf-8-sig") as handle:
            self._rows = list(csv.DictReader(handle))
        columns = set(self._rows[0]) if self._rows else set()
        self._column = next((c for c in PATH_COLUMNS if c in columns), None)
        if self._column is None or "label" not in columns:
            raise ValueError(f"{self.path} needs a path_or_url column and a label column (has {sorted(columns)})")
        self.labels = None  # the labels met, sorted
        self.info = SourceInfo(
            name=self.path.stem, kind="csv", licence=local_licence(self.licence),
            provenance=f"CSV list {self.path.resolve()}",
        )  # fmt: skip

    def total(self) -> int:
        return len(self._rows)

    def candidates(self) -> Iterator[Candidate | Skipped]:
        with ImageFetcher(timeout_s=self.timeout_s, retries=self.retries, max_bytes=self.max_bytes,
                          max_pixels=self.max_pixels) as fetcher:  # fmt: skip
            rows = iter(enumerate(self._rows, start=2))  # line 1 is the header
            make_id = ItemIds()
            while chunk := list(islice(rows, CHUNK)):
                refs = [_cell(r, self._column) for _, r in chunk]
                fetched = fetcher.fetch_stream([ref for ref in refs if _is_url(ref)])
                for (line, row), ref in zip(chunk, refs, strict=True):
                    result = next(fetched) if _is_url(ref) else None
                    yield self._row(line, row, ref, result, fetcher, make_id)

    def _row(
        self,
        line: int,
        row: dict[str, str],
        ref: str,
        result: FetchResult | None,
        fetcher: ImageFetcher,
        make_id: ItemIds,
    ) -> Candidate | Skipped:
        origin = f"{self.path.name}:{line} {ref}"
        label, split = _cell(row, "label"), _cell(row, "split").lower()
        if not ref or not label:
            return Skipped(origin, "the row needs a picture and a label")
        if split and split not in SPLIT_NAMES:
            return Skipped(origin, f"unknown split {split!r} (train, val or test)")
        try:
            if result is not None and result.image is None:
                return Skipped(origin, result.error or "the picture could not be fetched")
            image = result.image if result is not None and result.image is not None else self._local(ref)
            mask = self._mask(_cell(row, "mask"), fetcher)
        except (OSError, StyleLensError, ValueError) as exc:
            return Skipped(origin, getattr(exc, "detail", None) or str(exc))
        group = _cell(row, "group") or None
        return Candidate(
            image=image, origin=origin, label=label, mask=mask, group=group,
            split=SPLIT_NAMES[split] if split else split_for(group or ref, self.seed),
            id=make_id(f"{self.path.stem}-{line}-{ref.rsplit('/', 1)[-1]}"),
            attributes={"origin": ref},
        )  # fmt: skip

    def _local(self, ref: str) -> bytes:
        return (self.path.parent / ref).read_bytes()

    def _mask(self, ref: str, fetcher: ImageFetcher) -> Image.Image | None:
        if not ref:
            return None
        if _is_url(ref):
            result = fetcher.fetch(ref)
            if result.image is None:
                raise ValueError(f"mask {ref}: {result.error}")
            return result.image.convert("L")
        return read_mask(self._local(ref), max_bytes=self.max_bytes, max_pixels=self.max_pixels)


def _cell(row: dict[str, str], column: str | None) -> str:
    return (row.get(column) or "").strip() if column else ""


def _is_url(ref: str) -> bool:
    return ref.startswith(("http://", "https://"))
