"""Shopify's product JSON: `{"products": [...]}` (the Admin API's products.json) or JSON Lines (bulk export).

The array is decoded one product at a time from a bounded buffer, so a huge export runs in bounded memory.
A product that is not valid JSON ends a products.json file (FeedError); in JSON Lines it rejects one line.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from html import unescape
from typing import Any, BinaryIO

from stylelens.catalog.feeds.lines import LongLine, bounded_lines, decode_line
from stylelens.catalog.feeds.records import FeedEntry, FeedError, Offer, Rejection, product_of

MAX_PRODUCT = 4 * 1024 * 1024  # characters of one product's JSON
_CHUNK = 64 * 1024
_TAGS = re.compile(r"<[^>]*>")
_SIZE_NAMES = {"size", "taille"}
_COLOR_NAMES = {"color", "colour", "couleur"}


def read_shopify_json(
    handle: BinaryIO, shop_url: str, categories: dict[str, str] | None = None, currency: str = "EUR"
) -> Iterator[FeedEntry]:
    """Yield the products of a Shopify export (products.json or JSON Lines)."""
    head = handle.read(_CHUNK)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{") and not re.match(rb'\{\s*"products"\s*:', stripped):
        yield from _jsonl(head, handle, shop_url, categories, currency)
        return
    for number, item in enumerate(_array_items(head, handle), start=1):
        yield shopify_product(item, shop_url, categories, f"product {number}", currency)


def shopify_product(
    item: Any,
    shop_url: str,
    categories: dict[str, str] | None = None,
    position: str = "webhook",
    currency: str = "EUR",
) -> FeedEntry:
    """One Shopify product (feed item or webhook body) as a FeedProduct, or a Rejection saying why not."""
    ident = str(item.get("id", "?"))[:64] if isinstance(item, dict) else "?"
    try:
        if not isinstance(item, dict):
            raise ValueError("a product must be a JSON object")
        return product_of(_offers(item, shop_url, position), categories, currency)
    except (ValueError, TypeError, KeyError, ArithmeticError) as exc:
        return Rejection(position, ident, str(exc))


def _offers(item: dict[str, Any], shop_url: str, position: str) -> list[tuple[str, Offer]]:
    images = [str(i.get("src", "")) for i in item.get("images") or [] if isinstance(i, dict)]
    options = [str(o.get("name", "")).lower() for o in item.get("options") or [] if isinstance(o, dict)]
    variants = item.get("variants") or []
    if not images:
        raise ValueError("image_link is missing (the product has no image)")
    if not variants:
        raise ValueError("the product has no variants")
    handle = str(item.get("handle") or item.get("id"))
    shared: Offer = {
        "item_group_id": str(item.get("id", "")),
        "title": str(item.get("title") or ""),
        "title_fr": str(item.get("title_fr") or ""),
        "description": unescape(_TAGS.sub(" ", str(item.get("body_html") or ""))).strip(),
        "brand": str(item.get("vendor") or ""),
        "product_type": str(item.get("product_type") or ""),
        "link": f"{shop_url.rstrip('/')}/products/{handle}",
        "image_link": images[0],
        "additional_image_link": images[1:],
        "updated_at": str(item.get("updated_at") or ""),
    }
    offers = []
    for variant in variants:
        if not isinstance(variant, dict):
            raise ValueError("a variant must be a JSON object")
        price, compare = str(variant.get("price") or ""), variant.get("compare_at_price")
        on_sale = compare is not None and str(compare) and Decimal(str(compare)) > Decimal(price or "0")
        offer = {
            **shared,
            "id": str(variant.get("id") or ""),
            "price": str(compare) if on_sale else price,
            "sale_price": price if on_sale else "",
            "mpn": str(variant.get("sku") or ""),
            "gtin": str(variant.get("barcode") or ""),
            "quantity": str(max(int(variant.get("inventory_quantity") or 0), 0)),
        }
        for i, name in enumerate(options[:3], start=1):
            value = str(variant.get(f"option{i}") or "")
            if name in _SIZE_NAMES:
                offer["size"] = value
            elif name in _COLOR_NAMES:
                offer["color"] = value
        offers.append((position, offer))
    return offers


def _array_items(head: bytes, handle: BinaryIO) -> Iterator[Any]:
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    decode = json.JSONDecoder().raw_decode
    buffer, pos, eof = _decode(decoder, head), 0, False
    match = re.match(r'\s*(\{\s*"products"\s*:\s*)?\[', buffer)
    if match is None:
        raise FeedError('not a Shopify products export: expected {"products": [...]} or JSON Lines')
    pos = match.end()
    while True:
        pos = _skip(buffer, pos)
        if pos < len(buffer) and buffer[pos] == "]":
            return
        try:
            item, end = decode(buffer, pos)
        except json.JSONDecodeError as exc:
            if eof:
                raise FeedError(f"malformed JSON near character {exc.pos}: {exc.msg}") from None
            if len(buffer) - pos > MAX_PRODUCT:
                raise FeedError(f"a product is over {MAX_PRODUCT} characters of JSON") from None
            chunk = handle.read(_CHUNK)
            eof = not chunk
            buffer = buffer[pos:] + _decode(decoder, chunk, final=eof)
            pos = 0
            continue
        yield item
        pos = _skip(buffer, end)
        if pos < len(buffer) and buffer[pos] == ",":
            pos += 1


def _decode(decoder: codecs.IncrementalDecoder, data: bytes, final: bool = False) -> str:
    try:
        return str(decoder.decode(data, final))
    except UnicodeDecodeError as exc:
        raise FeedError(f"the export is not valid UTF-8 ({exc.reason}); export it as UTF-8") from None


def _skip(buffer: str, pos: int) -> int:
    while pos < len(buffer) and buffer[pos] in " \t\r\n":
        pos += 1
    return pos


def _jsonl(
    head: bytes, handle: BinaryIO, shop_url: str, categories: dict[str, str] | None, currency: str
) -> Iterator[FeedEntry]:
    for number, raw in bounded_lines(_Prefixed(head, handle)):
        position = f"line {number}"
        if isinstance(raw, LongLine):
            yield Rejection(position, "?", f"line of {raw.length} bytes is over the 1 MB limit")
            continue
        try:
            text = decode_line(raw, number).strip()
            if not text:
                continue
            item = json.loads(text)
        except ValueError as exc:
            yield Rejection(position, "?", f"not a JSON object: {str(exc)[:200]}")
            continue
        yield shopify_product(item, shop_url, categories, position, currency)


class _Prefixed:
    """A binary reader that first returns bytes already read."""

    def __init__(self, head: bytes, handle: BinaryIO) -> None:
        self.head, self.handle = head, handle

    def readline(self, limit: int = -1) -> bytes:
        if not self.head:
            return self.handle.readline(limit)
        newline = self.head.find(b"\n")
        if newline >= 0 and (limit < 0 or newline < limit):
            line, self.head = self.head[: newline + 1], self.head[newline + 1 :]
            return line
        if limit >= 0 and len(self.head) >= limit:
            line, self.head = self.head[:limit], self.head[limit:]
            return line
        line, self.head = self.head, b""
        more = self.handle.readline(-1 if limit < 0 else limit - len(line))
        return line + more
