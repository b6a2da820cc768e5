"""The shop's colour names, in French or English, read as names of StyleLens's retail palette.

Fashion-Insta's feeds name a variant's colour in the shop's words ("Bleu marine", "Noir/Blanc", "off-white").
Where every colour a product names is a word this table knows, the product's colours are the palette names it
stands for: the shop knows its product better than a reading of the picture, and the picture's colours are
not worked out at all. A name it does not know ("Multicolore", "Léopard", a brand's own "Nuit d'été") leaves
the product to the image's colours, as a product without a colour has; the shop adds its own words with
`integration.colour_words` (a sync's report counts the words nobody knows).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Final

from stylelens.vision.palette import COLOR_NAMES

# Palette name -> the words (accents dropped, lower case, hyphens as spaces) that mean it, English and French.
# fmt: off
_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "black": ("black", "jet black", "noir", "noire", "noir profond"),
    "white": ("white", "off white", "optic white", "ivory", "blanc", "blanche", "blanc casse", "ivoire"),
    "grey": ("grey", "gray", "light grey", "light gray", "dark grey", "dark gray", "heather grey", "charcoal",
             "anthracite", "silver", "gris", "grise", "gris clair", "gris fonce", "gris chine", "argent"),
    "navy": ("navy", "navy blue", "dark blue", "midnight blue", "indigo", "marine", "bleu marine", "bleu nuit",
             "bleu fonce", "bleu indigo"),
    "blue": ("blue", "royal blue", "cobalt", "electric blue", "denim", "bleu", "bleu roi", "bleu electrique"),
    "light blue": ("light blue", "sky blue", "pale blue", "baby blue", "powder blue", "bleu clair", "bleu ciel",
                   "bleu pale", "bleu layette"),
    "green": ("green", "emerald", "bottle green", "forest green", "mint", "sage", "vert", "verte", "vert emeraude",
              "vert bouteille", "vert sapin", "vert menthe", "vert sauge"),
    "khaki": ("khaki", "olive", "olive green", "army green", "military green", "kaki", "vert olive", "vert kaki"),
    "yellow": ("yellow", "mustard", "lemon", "ochre", "jaune", "moutarde", "citron", "ocre"),
    "orange": ("orange", "rust", "terracotta", "rouille", "terracota"),
    "red": ("red", "scarlet", "cherry", "rouge", "cerise", "rouge vif"),
    "burgundy": ("burgundy", "wine", "maroon", "oxblood", "bordeaux", "lie de vin"),
    "pink": ("pink", "light pink", "hot pink", "fuchsia", "blush", "old pink", "rose", "rose pale", "rose clair",
             "rose poudre", "vieux rose"),
    "purple": ("purple", "violet", "lilac", "lavender", "mauve", "plum", "aubergine", "violette", "lilas",
               "lavande", "prune"),
    "brown": ("brown", "chocolate", "cognac", "caramel", "marron", "brun", "brune", "chocolat"),
    "beige": ("beige", "cream", "ecru", "sand", "nude", "camel", "stone", "natural", "creme", "sable", "naturel"),
}
# fmt: on
_PALETTE_BY_WORD: Final[dict[str, str]] = {word: name for name, words in _WORDS.items() for word in words}
# One variant may name several colours: "Noir/Blanc", "navy & white", "bleu et blanc".
_SEPARATORS: Final = re.compile(r"\s*(?:[/,;&+|]|\s-\s|\bet\b|\band\b)\s*")


def shop_words(words: Mapping[str, str]) -> dict[str, str]:
    """The shop's own colour words (word -> palette name), normalised; ValueError for a name not in the palette."""
    wrong = sorted({name for name in words.values() if name not in COLOR_NAMES})
    if wrong:
        raise ValueError(f"not palette colour(s): {', '.join(wrong)}; use one of: {', '.join(COLOR_NAMES)}")
    return {_normalise(word): name for word, name in words.items()}


def palette_name(word: str, extra: Mapping[str, str] | None = None) -> str | None:
    """The palette name a shop's colour word stands for (the shop's own `extra` words, from `shop_words`, first),
    or None when it is not a word either table knows."""
    key = _normalise(word)
    return (extra or {}).get(key) or _PALETTE_BY_WORD.get(key)


def palette_names(values: Iterable[str], extra: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The palette names of a product's colours, in order, each once; () unless every one of them is known."""
    names: list[str] = []
    for part in _parts(values):
        name = palette_name(part, extra)
        if name is None:
            return ()
        names.append(name)
    return tuple(dict.fromkeys(names))


def unknown_words(values: Iterable[str], extra: Mapping[str, str] | None = None) -> list[str]:
    """The colour words of these values that neither table knows, normalised, each once."""
    return list(dict.fromkeys(_normalise(p) for p in _parts(values) if palette_name(p, extra) is None))


def _parts(values: Iterable[str]) -> Iterable[str]:
    for value in values:
        yield from (part for part in _SEPARATORS.split(value) if part.strip())


def _normalise(word: str) -> str:
    """Lower case, accents dropped, hyphens and underscores as spaces, single spaces."""
    bare = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode("ascii")
    return " ".join(bare.lower().replace("-", " ").replace("_", " ").split())


assert set(_WORDS) == set(COLOR_NAMES), "every palette colour has its words"
