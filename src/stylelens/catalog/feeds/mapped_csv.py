"""A shop's own CSV export, read through a column-mapping file (JSON) that names its columns in our words.

    {"delimiter": ";", "currency": "EUR",
     "columns": {"id": "SKU", "item_group_id": "Parent", "title": "Name", "price": "Price", "link": "URL",
                 "image_link": "Image", "product_type": "Category", "size": "Size", "quantity": "Stock"},
     "categories": {"Women > Tops > Tees": "t-shirt"}}

Targets are Google Merchant field names (see records.py). Lines are bounded; a bad row rejects only itself.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from stylelens.catalog.feeds.lines import LongLine, bounded_lines, decode_line
from stylelens.catalog.feeds.records import FeedError, Offer, Rejection

OfferEntry = tuple[str, Offer] | Rejection
TARGETS = frozenset(
    [
        "id",
        "item_group_id",
        "title",
        "title_fr",
        "description",
        "description_fr",
        "link",
        "image_link",
        "additional_image_link",
        "price",
        "sale_price",
        "brand",
        "google_product_category",
        "product_type",
        "color",
        "size",
        "quantity",
        "availability",
        "gtin",
        "mpn",
        "pattern",
        "updated_at",
    ]
)


class ColumnMapping:
    """Which source column feeds which of our fields, the delimiter, default currency and category map."""

    def __init__(self, raw: dict[str, Any]) -> None:
        columns = raw.get("columns")
        if not isinstance(columns, dict) or not columns:
            raise FeedError("the mapping file needs a 'columns' object")
        unknown = set(columns) - TARGETS
        if unknown:
            raise FeedError(f"the mapping names unknown field(s): {', '.join(sorted(unknown))}")
        missing = {"id", "title", "price", "link", "image_link"} - set(columns)
        if missing:
            raise FeedError(f"the mapping must map {', '.join(sorted(missing))}")
        self.columns: dict[str, str] = {str(k): str(v) for k, v in columns.items()}
        self.delimiter = str(raw.get("delimiter", ","))
        self.currency = str(raw.get("currency", "")).upper()
        self.categories: dict[str, str] = {str(k): str(v) for k, v in (raw.get("categories") or {}).items()}

    @classmethod
    def load(cls, path: Path) -> ColumnMapping:
        try:
            return cls(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            raise FeedError(f"cannot read the mapping file {path.name}: {exc}") from None


def read_mapped_csv(handle: BinaryIO, mapping: ColumnMapping) -> Iterator[OfferEntry]:
    """Yield the offers of a CSV file through its column mapping."""
    lines = _text_lines(handle)
    reader = csv.reader(lines, delimiter=mapping.delimiter)
    try:
        header = [h.strip().removeprefix("\ufeff") for h in next(reader)]
    except StopIteration:
        return
    missing = [source for source in mapping.columns.values() if source not in header]
    if missing:
        raise FeedError(f"the CSV has no column(s) {', '.join(missing)} named in the mapping")
    where = {target: header.index(source) for target, source in mapping.columns.items()}
    while True:
        try:
            row = next(reader)
        except StopIteration:
            yield from lines.rejected
            return
        except csv.Error as exc:
            yield Rejection(f"line {reader.line_num}", "?", f"unreadable CSV: {exc}")
            continue
        position = f"line {reader.line_num}"
        if lines.rejected:
            yield from lines.rejected
            lines.rejected.clear()
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield Rejection(position, (row or ["?"])[0][:64], f"{len(row)} columns, the header has {len(header)}")
            continue
        offer: Offer = {target: row[i] for target, i in where.items()}
        extra = str(offer.get("additional_image_link") or "")
        offer["additional_image_link"] = [u.strip() for u in extra.replace("|", ",").split(",") if u.strip()]
        yield position, offer


class _text_lines:  # noqa: N801 - an iterator used like a function
    """Decoded lines for the csv module; bad lines are set aside as rejections instead of stopping it."""

    def __init__(self, handle: BinaryIO) -> None:
        self._lines = bounded_lines(handle)
        self.rejected: list[Rejection] = []

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        for number, raw in self._lines:
            if isinstance(raw, LongLine):
                self.rejected.append(Rejection(f"line {number}", "?", f"line of {raw.length} bytes is over 1 MB"))
                continue
            try:
                return decode_line(raw, number) + "\n"
            except ValueError as exc:
                self.rejected.append(Rejection(f"line {number}", "?", str(exc)))
        raise StopIteration
