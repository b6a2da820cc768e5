"""The shop's colour names, in French or English, read as names of StyleLens's retail palette.

Fashion-Insta's feeds name a variant's colour in the shop's words ("Bleu marine", "Noir/Blanc", "off-white").
Where every colour a product names is a word this table knows, the product's colours are the palette names it
stands for: the shop knows its product better than a reading of the picture, and the picture's colours are
not worked out at all. A name it does not know ("Multicolore", "Léopard", a brand's own "Nuit d'été") leaves
the product to the image's colours, as a product without a colour has.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Final

from stylelens.vision.palette import COLOR_NAMES

# Palette name -> the words (accents dropped, lower case, hyphens as spaces) that mean it, English and French.
_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "black": ("black", "jet black", "noir", "noire", "noir profond"),
    "white": ("white", "off white", "optic white", "ivory", "blanc", "blanche", "blanc casse", "ivoire"),
    "grey": (
        "grey",
        "gray",
        "light grey",
        "light gray",
        "dark grey",
        "dark gray",
        "heather grey",
        "charcoal",
        "anthracite",
        "silver",
        "gris",
        "grise",
        "gris clair",
        "gris fonce",
        "gris chine",
        "argent",
    ),
    "navy": (
        "navy",
        "navy blue",
        "dark blue",
        "midnight blue",
        "indigo",
        "marine",
        "bleu marine",
        "bleu nuit",
        "bleu fonce",
        "bleu indigo",
    ),
    "blue": ("blue", "royal blue", "cobalt", "electric blue", "denim", "bleu", "bleu roi", "bleu electrique"),
    "light blue": (
        "light blue",
        "sky blue",
        "pale blue",
        "baby blue",
        "powder blue",
        "bleu clair",
        "bleu ciel",
        "bleu pale",
        "bleu layette",
    ),
    "green": (
        "green",
        "emerald",
        "bottle green",
        "forest green",
        "mint",
        "sage",
        "vert",
        "verte",
        "vert emeraude",
        "vert bouteille",
        "vert sapin",
        "vert menthe",
        "vert sauge",
    ),
    "khaki": ("khaki", "olive", "olive green", "army green", "military green", "kaki", "vert olive", "vert kaki"),
    "yellow": ("yellow", "mustard", "lemon", "ochre", "jaune", "moutarde", "citron", "ocre"),
    "orange": ("orange", "rust", "terracotta", "rouille", "terracota"),
    "red": ("red", "scarlet", "cherry", "rouge", "cerise", "rouge vif"),
    "burgundy": ("burgundy", "wine", "maroon", "oxblood", "bordeaux", "lie de vin"),
    "pink": (
        "pink",
        "light pink",
        "hot pink",
        "fuchsia",
        "blush",
        "old pink",
        "rose",
        "rose pale",
        "rose clair",
        "rose poudre",
        "vieux rose",
    ),
    "purple": (
        "purple",
        "violet",
        "lilac",
        "lavender",
        "mauve",
        "plum",
        "aubergine",
        "violette",
        "lilas",
        "lavande",
        "prune",
    ),  # fmt: skip
    "brown": ("brown", "chocolate", "cognac", "caramel", "marron", "brun", "brune", "chocolat"),
    "beige": ("beige", "cream", "ecru", "sand", "nude", "camel", "stone", "natural", "creme", "sable", "naturel"),
}
_PALETTE_BY_WORD: Final[dict[str, str]] = {word: name for name, words in _WORDS.items() for word in words}
# One variant may name several colours: "Noir/Blanc", "navy & white", "bleu et blanc".
_SEPARATORS: Final = re.compile(r"\s*(?:[/,;&+|]|\s-\s|\bet\b|\band\b)\s*")


def palette_name(word: str) -> str | None:
    """The palette name a shop's colour word stands for, or None when it is not a word the table knows."""
    return _PALETTE_BY_WORD.get(_normalise(word))


def palette_names(values: Iterable[str]) -> tuple[str, ...]:
    """The palette names of a product's colours, in order, each once; () unless every one of them is known."""
    names: list[str] = []
    for value in values:
        for part in _SEPARATORS.split(value):
            if not part.strip():
                continue
            name = palette_name(part)
            if name is None:
                return ()
            names.append(name)
    return tuple(dict.fromkeys(names))


def _normalise(word: str) -> str:
    """Lower case, accents dropped, hyphens and underscores as spaces, single spaces."""
    bare = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode("ascii")
    return " ".join(bare.lower().replace("-", " ").replace("_", " ").split())


assert set(_WORDS) == set(COLOR_NAMES), "every palette colour has its words"
