"""Google Merchant Center product feeds: the RSS/Atom XML with g: attributes, and the tab-separated file.

XML goes through defusedxml with DTDs forbidden (no billion laughs, no external entities) and is read item by
item, each element dropped once read, so a feed of a million items runs in bounded memory. An XML error ends
the feed (a `FeedError`: items read so far are kept, deletions are skipped); a bad item only rejects itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from stylelens.catalog.feeds.lines import LongLine, bounded_lines, decode_line
from stylelens.catalog.feeds.records import FeedError, Offer, Rejection

G = "{http://base.google.com/ns/1.0}"
ITEM_TAGS = frozenset({"item", "{http://www.w3.org/2005/Atom}entry", "entry"})
_PLAIN = {"title", "link", "description"}  # RSS elements Merchant feeds may use without the g: prefix
OfferEntry = tuple[str, Offer] | Rejection


def read_merchant_xml(handle: BinaryIO) -> Iterator[OfferEntry]:
    """Yield the offers of a Merchant Center XML feed; FeedError when the XML itself is broken or unsafe."""
    stack: list[Element] = []
    count = 0
    try:
        for event, element in iterparse(handle, events=("start", "end"), forbid_dtd=True):
            if event == "start":
                stack.append(element)
                continue
            stack.pop()
            if element.tag in ITEM_TAGS:
                count += 1
                yield f"item {count}", _offer(element)
                if stack:
                    stack[-1].remove(element)  # keep memory bounded: drop what has been read
    except DefusedXmlException as exc:
        raise FeedError(
            f"feed refused after {count} items: {type(exc).__name__} (DTDs and entities are not allowed)"
        ) from None
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise FeedError(f"malformed XML at line {line}, column {column} after {count} items: {exc}") from None


def _offer(item: Element) -> Offer:
    offer: Offer = {}
    for child in item:
        tag = child.tag
        if tag.startswith(G):
            name = tag[len(G) :]
        elif tag in _PLAIN:
            name = tag
        else:
            continue
        text = (child.text or "").strip()
        if name == "additional_image_link":
            offer.setdefault(name, []).append(text)
        elif name not in offer or (tag.startswith(G) and text):
            offer[name] = text  # g:title wins over the RSS title
    return offer


def read_merchant_tsv(handle: BinaryIO) -> Iterator[OfferEntry]:
    """Yield the offers of a Merchant Center tab-separated feed; a bad line rejects only itself."""
    header: list[str] | None = None
    for number, raw in bounded_lines(handle):
        if isinstance(raw, LongLine):
            yield Rejection(f"line {number}", "?", f"line of {raw.length} bytes is over the 1 MB limit")
            continue
        try:
            text = decode_line(raw, number)
        except ValueError as exc:
            yield Rejection(f"line {number}", "?", str(exc))
            continue
        if header is None:
            header = [h.strip().lower().removeprefix("\ufeff").removeprefix("g:") for h in text.split("\t")]
            if "id" not in header:
                raise FeedError("the TSV header has no 'id' column (is this a Merchant Center feed?)")
            continue
        if not text.strip():
            continue
        cells = text.split("\t")
        if len(cells) != len(header):
            yield Rejection(f"line {number}", cells[0][:64], f"{len(cells)} columns, the header has {len(header)}")
            continue
        offer: Offer = dict(zip(header, cells, strict=True))
        extra = offer.get("additional_image_link")
        offer["additional_image_link"] = [u.strip() for u in str(extra or "").split(",") if u.strip()]
        yield f"line {number}", offer
