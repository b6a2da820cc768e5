"""Product feeds from the shop's platform, read as a stream of products and rejections.

Formats: Google Merchant Center XML (`merchant-xml`) and TSV (`merchant-tsv`), Shopify product JSON
(`shopify`), and any CSV with a column-mapping file (`csv`). `read_feed` picks the reader; `detect_format`
guesses it from the file's name and first bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, Literal

from stylelens.catalog.feeds.google import read_merchant_tsv, read_merchant_xml
from stylelens.catalog.feeds.mapped_csv import ColumnMapping, read_mapped_csv
from stylelens.catalog.feeds.records import FeedEntry, FeedError, FeedProduct, Rejection, VariantInput, group_offers
from stylelens.catalog.feeds.shopify import read_shopify_json, shopify_product

FeedFormat = Literal["merchant-xml", "merchant-tsv", "shopify", "csv"]
FORMATS: tuple[str, ...] = ("merchant-xml", "merchant-tsv", "shopify", "csv")

__all__ = [
    "FORMATS",
    "ColumnMapping",
    "FeedEntry",
    "FeedError",
    "FeedFormat",
    "FeedProduct",
    "Rejection",
    "VariantInput",
    "detect_format",
    "feed_batches",
    "read_feed",
    "shopify_product",
]


def detect_format(name: str, head: bytes) -> str:
    """The feed format, from the file name's extension, else from its first bytes."""
    suffix = Path(name.split("?", 1)[0]).suffix.lower()
    by_suffix = {".xml": "merchant-xml", ".rss": "merchant-xml", ".tsv": "merchant-tsv", ".txt": "merchant-tsv"}
    by_suffix |= {".json": "shopify", ".jsonl": "shopify", ".csv": "csv"}
    if suffix in by_suffix:
        return by_suffix[suffix]
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start == b"<":
        return "merchant-xml"
    if start in (b"{", b"["):
        return "shopify"
    return "merchant-tsv" if b"\t" in head.split(b"\n", 1)[0] else "csv"


def read_feed(
    handle: BinaryIO, fmt: str, *, shop_url: str, mapping: ColumnMapping | None = None
) -> Iterator[FeedEntry]:
    """Products and rejections of a feed, in feed order; FeedError when the feed cannot be read further."""
    if fmt == "merchant-xml":
        return group_offers(read_merchant_xml(handle))
    if fmt == "merchant-tsv":
        return group_offers(read_merchant_tsv(handle))
    if fmt == "shopify":
        return read_shopify_json(handle, shop_url, mapping.categories if mapping else None)
    if fmt == "csv":
        if mapping is None:
            raise FeedError("a CSV feed needs a column-mapping file (--mapping)")
        return group_offers(read_mapped_csv(handle, mapping), mapping.categories, mapping.currency)
    raise FeedError(f"unknown feed format {fmt!r}; choose one of {', '.join(FORMATS)}")


def feed_batches(items: Iterable[FeedProduct], size: int) -> Iterator[list[FeedProduct]]:
    """Batches of products; the products read before a feed error still come out before the error."""
    iterator = iter(items)
    batch: list[FeedProduct] = []
    try:
        for product in iterator:
            batch.append(product)
            if len(batch) == size:
                yield batch
                batch = []
    except FeedError:
        if batch:
            yield batch
        raise
    if batch:
        yield batch
