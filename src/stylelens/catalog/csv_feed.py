"""Import a catalog from a CSV file: one product per row, images by path (relative to the file) or URL.

Columns: product_id, title_en, title_fr, category, price, product_url, image (required); currency, brand,
description_en, description_fr, colors ("navy|white"), pattern, sizes ("S|M|L"), stock ("S:3|M:0") (optional).
Colours are kept when every one is a colour word the palette knows, in English or French (`colour_names`), as
from a feed; otherwise the analysis names them from the image. Images are read at about `image_side` pixels a
side, as a sync reads them. A bad row is reported with its line number and never stops the import.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from stylelens.catalog.colour_names import palette_names, shop_words
from stylelens.catalog.ingest import CatalogItem
from stylelens.catalog.products import ProductInput
from stylelens.errors import CatalogFormatError, StyleLensError
from stylelens.vision.decode import decode_photo

REQUIRED = ("product_id", "title_en", "title_fr", "category", "price", "product_url", "image")


@dataclass(frozen=True)
class RowError:
    line: int
    product_id: str
    reason: str


def read_csv_catalog(
    path: Path,
    *,
    max_bytes: int,
    max_pixels: int,
    errors: list[RowError],
    image_side: int | None = None,
    colour_words: Mapping[str, str] | None = None,
) -> Iterator[CatalogItem]:
    """Yield the valid products of a CSV file; append one RowError per row that cannot be imported.

    A larger image comes out about `image_side` pixels a side (None: as it is), like the sync's fetcher;
    `colour_words` are the shop's own colour words (integration.colour_words) beyond the built-in ones.
    """
    words = shop_words(colour_words or {})
    with path.open(newline="", encoding="utf-8-sig") as handle, httpx.Client(timeout=20) as client:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise CatalogFormatError(f"{path.name}: missing column(s) {', '.join(missing)}")
        for row in reader:
            try:
                product = product_from_row(row, words)
                data = _image_bytes(row["image"], path.parent, client, max_bytes)
                image, _ = decode_photo(data, max_bytes=max_bytes, max_pixels=max_pixels, work_side=image_side)
                yield CatalogItem(product, image)
            except (StyleLensError, ValueError, OSError, httpx.HTTPError) as exc:
                detail = exc.detail if isinstance(exc, StyleLensError) else str(exc)
                errors.append(RowError(reader.line_num, row.get("product_id") or "?", detail))


def product_from_row(row: dict[str, str], colour_words: Mapping[str, str] | None = None) -> ProductInput:
    """Check and convert one CSV row; ValueError names the faulty field."""
    for column in REQUIRED:
        if not (row.get(column) or "").strip():
            raise ValueError(f"{column} is empty")
    price = float(row["price"])
    if not price > 0:
        raise ValueError(f"price must be positive, got {row['price']}")
    sizes = _list(row.get("sizes"))
    stock = {size: int(qty) for size, qty in (item.split(":", 1) for item in _list(row.get("stock")))}
    if any(q < 0 for q in stock.values()):
        raise ValueError("stock cannot be negative")
    return ProductInput(
        product_id=row["product_id"].strip(),
        title_en=row["title_en"].strip(),
        title_fr=row["title_fr"].strip(),
        category=row["category"].strip().lower(),
        price=round(price, 2),
        product_url=row["product_url"].strip(),
        currency=(row.get("currency") or "EUR").strip().upper(),
        brand=(row.get("brand") or "").strip(),
        description_en=(row.get("description_en") or "").strip(),
        description_fr=(row.get("description_fr") or "").strip(),
        colors=palette_names(_list(row.get("colors")), colour_words),
        pattern=(row.get("pattern") or "solid").strip().lower(),
        sizes=tuple(sizes or stock),
        stock=stock,
    )


def _list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split("|") if part.strip()]


def _image_bytes(ref: str, base: Path, client: httpx.Client, max_bytes: int) -> bytes:
    if ref.startswith(("http://", "https://")):
        with client.stream("GET", ref) as response:
            response.raise_for_status()
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise ValueError(f"image over {max_bytes} bytes")
                chunks.append(chunk)
            return b"".join(chunks)
    local = (base / ref).resolve()
    if not local.is_relative_to(base.resolve()):
        raise ValueError("image path leaves the catalog folder")
    return local.read_bytes()
