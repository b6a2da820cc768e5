"""Why an item was recommended, in short sentences a shopper understands."""

from __future__ import annotations

from stylelens.recommend.ranking import closeness
from stylelens.storage.models import Product
from stylelens.vision.analysis import Garment


def reasons_for(product: Product, score: float, garment: Garment, category: str) -> list[str]:
    """The reasons shown under a result: visual match first, then what the item shares with the photo."""
    reasons = [f"Looks {closeness(score)} your photo ({round(max(score, 0.0) * 100)}% visual match)"]
    photo_colors = [c.name for c in garment.colors]
    shared = [c for c in product.colors if c in photo_colors]
    if shared:
        reasons.append(f"Same colour: {', '.join(shared[:2])}")
    if product.category == category:
        reasons.append(f"Same kind of garment: {category}")
    sizes = [size for size, quantity in product.stock.items() if quantity > 0]
    reasons.append(f"In stock in {len(sizes)} size{'s' if len(sizes) != 1 else ''}" if sizes else "Out of stock")
    return reasons
