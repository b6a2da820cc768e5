"""Turn catalog rows into the JSON shoppers' apps receive."""

from __future__ import annotations

from fastapi import Request

from stylelens.api.schemas import ProductPublic
from stylelens.events.attribution import attributed_url
from stylelens.storage.models import Product


def image_url(request: Request, key: str) -> str:
    return str(request.url_for("catalog_image", key=key))


def shop_link(product_url: str, medium: str = "visual_search") -> str:
    """The product page on the shop, with StyleLens attribution parameters (utm_source=stylelens...)."""
    return attributed_url(product_url, medium=medium)


def title(product: Product, lang: str) -> str:
    return product.title_en if lang == "en" else product.title_fr


def product_public(request: Request, product: Product, lang: str) -> ProductPublic:
    return ProductPublic(
        product_id=product.product_id,
        title=title(product, lang),
        title_en=product.title_en,
        title_fr=product.title_fr,
        description=product.description_en if lang == "en" else product.description_fr,
        brand=product.brand,
        category=product.category,
        colors=list(product.colors),
        pattern=product.pattern,
        sizes=list(product.sizes),
        stock=dict(product.stock),
        in_stock=product.in_stock,
        price=float(product.price),
        currency=product.currency,
        image_url=image_url(request, product.image_key),
        product_url=shop_link(product.product_url),
    )
