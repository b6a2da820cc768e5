"""What a feed product is once read, whatever the feed format, and how one offer row becomes part of one.

Every format turns its items into *offers* (one buyable variant, Google Merchant Center's field names), then
adjacent offers sharing an `item_group_id` become one `FeedProduct` with variants. A bad offer becomes a
`Rejection` with its position and reason; it never stops the feed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from stylelens.catalog.colour_names import palette_names
from stylelens.catalog.products import ProductInput
from stylelens.errors import CatalogFormatError

MAX_TEXT = 5000  # characters in a description; titles are capped at 300 by the catalog table
MAX_ID = 64
REQUIRED = ("id", "title", "link", "image_link", "price")
CURRENCIES = re.compile(r"^[A-Z]{3}$")

# Our garment categories, recognised in the shop's taxonomy path, product type or title (EN and FR words).
_CATEGORY_WORDS: tuple[tuple[str, str], ...] = (
    (r"sandal|sandale|tong", "sandals"),
    (r"boot|botte|bottine", "boots"),
    (r"sneaker|trainer|basket|running shoe|athletic shoe", "sneakers"),
    (r"dress|robe", "dress"),
    (r"coat|jacket|manteau|veste|parka|trench|outerwear", "coat"),
    (r"sweater|pullover|jumper|cardigan|sweatshirt|hoodie|\bpull\b", "sweater"),
    (r"trouser|pants|jean|pantalon|chino|legging", "trousers"),
    (r"t-shirt|tee\b|tshirt|tank top", "t-shirt"),
    (r"shirt|chemise|blouse", "shirt"),
    (r"\bbag|handbag|backpack|\bsac\b|tote|purse|sacoche", "bag"),
)
# Google product taxonomy ids whose meaning is one of our categories whatever the words say.
GOOGLE_TAXONOMY: dict[str, str] = {
    "204": "trousers",  # Apparel & Accessories > Clothing > Pants
    "2271": "dress",  # ... > Clothing > Dresses
    "5598": "coat",  # ... > Clothing > Outerwear > Coats & Jackets
    "203": "coat",  # ... > Clothing > Outerwear
    "3032": "bag",  # ... > Handbags, Wallets & Cases > Handbags
    "100": "bag",  # Luggage & Bags > Backpacks
}
CATEGORIES = frozenset(c for _, c in _CATEGORY_WORDS)


class FeedError(CatalogFormatError):
    """The feed as a whole cannot be read further (malformed XML, forbidden DTD, bad encoding)."""


@dataclass(frozen=True)
class Rejection:
    """One feed item that was not imported, and why."""

    position: str  # "line 12", "item 57"
    product_id: str
    reason: str


@dataclass(frozen=True)
class VariantInput:
    """One buyable variant as the feed describes it."""

    variant_id: str
    price: Decimal
    sale_price: Decimal | None = None
    sku: str = ""
    gtin: str = ""
    size: str = ""
    color: str = ""
    stock: int = 0


@dataclass(frozen=True)
class FeedProduct:
    """A product read from a feed: the catalog fields, its variants and its images."""

    product: ProductInput
    image_urls: tuple[str, ...]
    variants: tuple[VariantInput, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)  # taxonomy id, sale price, the shop's updated_at
    position: str = ""

    @property
    def product_id(self) -> str:
        return self.product.product_id

    def feed_hash(self) -> str:
        """A fingerprint of everything the feed says about this product (a sync skips it when unchanged)."""
        body = {"p": asdict(self.product), "i": self.image_urls, "v": [asdict(v) for v in self.variants]}
        body["x"] = self.extra
        return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


FeedEntry = FeedProduct | Rejection
Offer = dict[str, Any]  # Google Merchant field names -> str (additional_image_link: list[str])


def parse_price(value: str, default_currency: str = "") -> tuple[Decimal, str]:
    """'19.99 EUR' -> (Decimal('19.99'), 'EUR'); refuses negative, zero, non-numeric and absurd prices."""
    parts = value.strip().split()
    if not parts or len(parts) > 2:
        raise ValueError(f"price {value[:40]!r} is not 'AMOUNT [CURRENCY]'")
    try:
        amount = Decimal(parts[0].replace(",", "."))
    except InvalidOperation:
        raise ValueError(f"price {parts[0][:40]!r} is not a number") from None
    if not amount.is_finite() or amount <= 0 or amount >= Decimal("100000000"):
        raise ValueError(f"price must be positive, got {parts[0][:40]}")
    currency = (parts[1] if len(parts) == 2 else default_currency).upper()
    if not CURRENCIES.match(currency):
        raise ValueError(f"currency {currency[:10]!r} is not an ISO 4217 code")
    return amount.quantize(Decimal("0.01")), currency


def map_category(offer: Offer, overrides: dict[str, str] | None = None) -> str:
    """Our category for an offer, from the shop's taxonomy (overrides first), its Google id, or its words."""
    google = str(offer.get("google_product_category", "")).strip()
    product_type = str(offer.get("product_type", "")).strip()
    for value in (product_type, google):
        if overrides and value in overrides:
            return overrides[value]
        if value.lower() in CATEGORIES:
            return value.lower()
    words = " ".join((product_type, google, str(offer.get("title", "")))).lower()
    for pattern, category in _CATEGORY_WORDS:
        if re.search(pattern, words):
            return category
    if google in GOOGLE_TAXONOMY:
        return GOOGLE_TAXONOMY[google]
    raise ValueError(f"no StyleLens category for {(product_type or google or 'an empty category')[:80]!r}")


def _text(offer: Offer, name: str, *, required: bool = False, limit: int = MAX_TEXT) -> str:
    value = str(offer.get(name) or "").strip()
    if required and not value:
        raise ValueError(f"{name} is missing")
    if len(value) > limit:
        raise ValueError(f"{name} is over {limit} characters")
    return value


def _stock(offer: Offer) -> int:
    quantity = str(offer.get("quantity") or "").strip()
    if quantity:
        count = int(quantity)
        if count < 0:
            raise ValueError("quantity cannot be negative")
        return count
    availability = str(offer.get("availability") or "in_stock").strip().lower().replace(" ", "_")
    if availability not in {"in_stock", "out_of_stock", "preorder", "backorder"}:
        raise ValueError(f"availability {availability[:30]!r} is unknown")
    return 1 if availability == "in_stock" else 0


def _url(value: str, name: str) -> str:
    if not value.startswith(("http://", "https://")) or len(value) > 2000:
        raise ValueError(f"{name} must be an http(s) URL of at most 2000 characters")
    return value


def variant_of(offer: Offer, currency: str) -> tuple[VariantInput, str]:
    """Check one offer and return its variant and currency; ValueError names the faulty field."""
    variant_id = _text(offer, "id", required=True, limit=MAX_ID)
    price, currency = parse_price(_text(offer, "price", required=True, limit=60), currency)
    sale_price = None
    if sale := _text(offer, "sale_price", limit=60):
        sale_price, sale_currency = parse_price(sale, currency)
        if sale_currency != currency or sale_price > price:
            raise ValueError("sale_price must be in the price's currency and not above it")
    gtin = _text(offer, "gtin", limit=14)
    if gtin and not gtin.isdigit():
        raise ValueError("gtin must be 8 to 14 digits")
    variant = VariantInput(
        variant_id=variant_id,
        price=price,
        sale_price=sale_price,
        sku=_text(offer, "mpn", limit=MAX_ID) or variant_id,
        gtin=gtin,
        size=_text(offer, "size", limit=40),
        color=_text(offer, "color", limit=60),
        stock=_stock(offer),
    )
    return variant, currency


def product_of(offers: list[tuple[str, Offer]], categories: dict[str, str] | None, currency: str) -> FeedProduct:
    """Build one product from its offers (first offer gives the shared fields); ValueError if any is bad."""
    position, first = offers[0]
    missing = [name for name in REQUIRED if not str(first.get(name) or "").strip()]
    if missing:
        raise ValueError(f"missing required field(s): {', '.join(missing)}")
    product_id = _text(first, "item_group_id", limit=MAX_ID) or _text(first, "id", required=True, limit=MAX_ID)
    title = _text(first, "title", required=True, limit=300)
    link = _url(_text(first, "link", required=True, limit=2000), "link")
    image = _url(_text(first, "image_link", required=True, limit=2000), "image_link")
    extra_images = tuple(_url(str(u), "additional_image_link") for u in first.get("additional_image_link") or [])
    variants: list[VariantInput] = []
    for _, offer in offers:
        variant, currency = variant_of(offer, currency)
        variants.append(variant)
    if len({v.variant_id for v in variants}) != len(variants):
        raise ValueError("two variants share an id")
    sizes = tuple(dict.fromkeys(v.size for v in variants if v.size))
    stock: dict[str, int] = {}
    for v in variants:
        stock[v.size or "one size"] = stock.get(v.size or "one size", 0) + v.stock
    colours = palette_names(v.color for v in variants if v.color)  # () for a name the table does not know
    product = ProductInput(
        product_id=product_id,
        title_en=title,
        title_fr=_text(first, "title_fr", limit=300) or title,
        category=map_category(first, categories),
        price=float(min(v.sale_price or v.price for v in variants)),
        product_url=link,
        currency=currency,
        description_en=_text(first, "description"),
        description_fr=_text(first, "description_fr") or _text(first, "description"),
        brand=_text(first, "brand", limit=120),
        colors=colours,
        pattern=_text(first, "pattern", limit=20).lower() or "solid",
        sizes=sizes or tuple(stock),
        stock=stock,
    )
    extra = {
        "google_product_category": _text(first, "google_product_category", limit=300),
        "updated_at": _text(first, "updated_at", limit=40),
    }
    return FeedProduct(product, (image, *extra_images), tuple(variants), extra, position)


def group_offers(
    offers: Iterable[tuple[str, Offer] | Rejection],
    categories: dict[str, str] | None = None,
    currency: str = "",
) -> Iterator[FeedEntry]:
    """Join adjacent offers of the same item_group_id into products; pass rejections through."""
    group: list[tuple[str, Offer]] = []
    key = ""
    try:
        for entry in offers:
            if isinstance(entry, Rejection):
                yield entry
                continue
            entry_key = str(entry[1].get("item_group_id") or "").strip() or f"\0{entry[1].get('id')}"
            if group and entry_key != key:
                yield _build(group, categories, currency)
                group = []
            key = entry_key
            group.append(entry)
    except FeedError:
        if group:  # the product read before the broken spot still counts
            yield _build(group, categories, currency)
        raise
    if group:
        yield _build(group, categories, currency)


def _build(group: list[tuple[str, Offer]], categories: dict[str, str] | None, currency: str) -> FeedEntry:
    try:
        return product_of(group, categories, currency)
    except (ValueError, ArithmeticError) as exc:
        first = group[0][1]
        ident = str(first.get("item_group_id") or first.get("id") or "?")[:MAX_ID]
        return Rejection(group[0][0], ident, str(exc))
