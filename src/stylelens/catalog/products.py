"""What a catalog product is when it enters StyleLens, whatever the feed it came from."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class ProductInput:
    """A product as a feed or the demo describes it, before images are analysed."""

    product_id: str
    title_en: str
    title_fr: str
    category: str
    price: float
    product_url: str
    currency: str = "EUR"
    description_en: str = ""
    description_fr: str = ""
    brand: str = ""
    colors: tuple[str, ...] = ()
    pattern: str = "solid"
    sizes: tuple[str, ...] = ()
    stock: dict[str, int] = field(default_factory=dict)

    @property
    def in_stock(self) -> bool:
        return any(quantity > 0 for quantity in self.stock.values())

    def content_hash(self, image_digest: str) -> str:
        """A fingerprint of everything shown to shoppers: a sync re-processes only products whose hash changed."""
        payload = json.dumps({**asdict(self), "image": image_digest}, sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()
