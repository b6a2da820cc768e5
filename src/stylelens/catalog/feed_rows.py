"""A catalog row made to say what the shop's feed says of a product: its fields, sizes, stock and variants."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from stylelens.catalog.colour_names import palette_names, unknown_words
from stylelens.catalog.feeds import FeedProduct
from stylelens.storage.integration_models import ProductVariant
from stylelens.storage.models import Product


def with_shop_colours(feed: FeedProduct, words: Mapping[str, str]) -> tuple[FeedProduct, list[str]]:
    """The product with the colours its variants name read with the shop's own `words` too (`shop_words`), and
    the words that no table knows (then none is kept: the product's colours come from its image)."""
    named = [v.color for v in feed.variants if v.color]
    if feed.product.colors or not named:
        return feed, []
    colours = palette_names(named, words)
    if colours:
        return replace(feed, product=replace(feed.product, colors=colours)), []
    return feed, unknown_words(named, words)


def products_by_id(session: Session, ids: list[str]) -> dict[str, Product]:
    """The catalog rows of these shop product ids (those that exist), by id."""
    return {r.product_id: r for r in session.scalars(select(Product).where(Product.product_id.in_(ids)))}


def copy_fields(row: Product, feed: FeedProduct, feed_hash: str | None = None) -> None:
    """The feed's titles, descriptions, brand, category, price, sizes, stock, link and colours onto the row."""
    p = feed.product
    row.title_en, row.title_fr = p.title_en, p.title_fr
    row.description_en, row.description_fr = p.description_en, p.description_fr
    row.brand, row.category, row.pattern = p.brand, p.category, p.pattern
    row.price, row.currency = Decimal(str(round(p.price, 2))), p.currency
    row.sizes, row.stock, row.product_url = list(p.sizes), dict(p.stock), p.product_url
    if p.colors:
        row.colors = list(p.colors)
    row.content_hash = feed_hash if feed_hash is not None else feed.feed_hash()


def replace_variants(session: Session, row: Product, feed: FeedProduct) -> None:
    """The row's variants (SKU, GTIN, size, colour, price, stock) made those the feed lists now."""
    session.execute(delete(ProductVariant).where(ProductVariant.product_pk == row.pk))
    add_variants(session, row, feed)


def add_variants(session: Session, row: Product, feed: FeedProduct) -> None:
    for v in feed.variants:
        session.add(
            ProductVariant(
                product_pk=row.pk,
                variant_id=v.variant_id,
                sku=v.sku,
                gtin=v.gtin,
                size=v.size,
                color=v.color,
                price=v.price,
                sale_price=v.sale_price,
                stock=v.stock,
            )
        )
