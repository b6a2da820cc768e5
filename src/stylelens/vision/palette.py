"""The retail colour palette: the names a shopper sees on Fashion-Insta, each with its reference hex value."""

from __future__ import annotations

from typing import Final

# Order matters only for display. Hex values are the reference shade a shopper would call by that name.
PALETTE: Final[dict[str, str]] = {
    "black": "#1b1b1b",
    "white": "#f5f5f2",
    "grey": "#8c8c8c",
    "navy": "#1f2a44",
    "blue": "#2f5fb3",
    "light blue": "#9cc3e6",
    "green": "#2e7d4f",
    "khaki": "#7a7445",
    "yellow": "#f2c230",
    "orange": "#e8772e",
    "red": "#c62e2e",
    "burgundy": "#6d1a2d",
    "pink": "#eb8fb5",
    "purple": "#6b3f96",
    "brown": "#6b4423",
    "beige": "#d8c3a0",
}

COLOR_NAMES: Final[tuple[str, ...]] = tuple(PALETTE)


def hex_to_rgb(value: str) -> tuple[int, int, int]:
    """'#rrggbb' -> (r, g, b) in 0..255."""
    value = value.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)
