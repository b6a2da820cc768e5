"""Complete the look: for a garment, which kinds of item go with it, and which colours go together.

Rules a stylist would give: a top goes with trousers, shoes, a bag and a coat; neutrals go with everything;
a colour goes with itself, its neighbours on the colour wheel and its complement. Once co-like statistics exist
(items liked or bought by the same shoppers), they add to the harmony score.
"""

from __future__ import annotations

import colorsys
from typing import Final

from stylelens.vision.palette import PALETTE, hex_to_rgb

TOPS: Final = ("t-shirt", "shirt", "sweater")
SHOES: Final = ("sneakers", "boots", "sandals")
COMPLEMENTS: Final[dict[str, tuple[str, ...]]] = {
    **{top: ("trousers", "sneakers", "boots", "bag", "coat") for top in TOPS},
    "trousers": ("shirt", "t-shirt", "sweater", "sneakers", "boots", "coat"),
    "dress": ("sandals", "bag", "coat", "boots"),
    "coat": ("trousers", "sweater", "boots", "bag", "dress"),
    **{shoe: ("trousers", "dress", "bag", "t-shirt") for shoe in SHOES},
    "bag": ("dress", "coat", "shirt", "sneakers"),
}
NEUTRALS: Final = frozenset({"black", "white", "grey", "navy", "beige"})


def complementary_categories(category: str) -> tuple[str, ...]:
    return COMPLEMENTS.get(category, ())


def colour_harmony(a: str, b: str) -> float:
    """How well two colours go together, 0..1: neutrals and same colours 1, wheel neighbours and complements high."""
    if a in NEUTRALS or b in NEUTRALS or a == b:
        return 1.0
    if a not in PALETTE or b not in PALETTE:
        return 0.3
    ha, hb = _hue(a), _hue(b)
    gap = min(abs(ha - hb), 1 - abs(ha - hb)) * 360
    if gap <= 40:  # analogous
        return 0.8
    if gap >= 150:  # complementary
        return 0.7
    return 0.2


def _hue(name: str) -> float:
    r, g, b = (c / 255 for c in hex_to_rgb(PALETTE[name]))
    return colorsys.rgb_to_hsv(r, g, b)[0]
