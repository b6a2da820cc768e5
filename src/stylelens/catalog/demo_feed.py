"""The demo catalog as catalog items, ready for ingestion."""

from __future__ import annotations

from collections.abc import Iterator

from stylelens.catalog.demo import demo_products
from stylelens.catalog.ingest import CatalogItem
from stylelens.catalog.products import ProductInput


def demo_catalog_items(seed: int, count: int, shop_url: str) -> Iterator[CatalogItem]:
    """Each demo product with its image and exact mask; product links point at the shop."""
    for item in demo_products(seed=seed, count=count):
        p = item.product
        product = ProductInput(
            product_id=p.product_id,
            title_en=p.title_en,
            title_fr=p.title_fr,
            description_en=p.description_en,
            description_fr=p.description_fr,
            brand=p.brand,
            category=p.category,
            colors=tuple(p.colors),
            pattern=p.pattern,
            price=p.price,
            currency=p.currency,
            sizes=tuple(p.sizes),
            stock=dict(p.stock),
            product_url=f"{shop_url.rstrip('/')}/products/{p.product_id}",
        )
        yield CatalogItem(product, item.image, item.mask)
