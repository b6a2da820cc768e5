"""Product titles and descriptions of the demo catalog, in English and in French (with gender agreement)."""

from __future__ import annotations

from typing import Final, NamedTuple


class FrenchNoun(NamedTuple):
    """A French product noun with what adjectives must agree with."""

    word: str
    feminine: bool
    plural: bool


# Category -> (English noun, French noun, English blurb, French blurb).
NOUN_EN: Final[dict[str, str]] = {
    "t-shirt": "T-shirt",
    "trousers": "trousers",
    "sweater": "sweater",
    "dress": "dress",
    "coat": "coat",
    "sandals": "sandals",
    "shirt": "shirt",
    "sneakers": "sneakers",
    "bag": "bag",
    "boots": "boots",
}
NOUN_FR: Final[dict[str, FrenchNoun]] = {
    "t-shirt": FrenchNoun("T-shirt", False, False),
    "trousers": FrenchNoun("Pantalon", False, False),
    "sweater": FrenchNoun("Pull", False, False),
    "dress": FrenchNoun("Robe", True, False),
    "coat": FrenchNoun("Manteau", False, False),
    "sandals": FrenchNoun("Sandales", True, True),
    "shirt": FrenchNoun("Chemise", True, False),
    "sneakers": FrenchNoun("Baskets", True, True),
    "bag": FrenchNoun("Sac", False, False),
    "boots": FrenchNoun("Bottes", True, True),
}
BLURB: Final[dict[str, tuple[str, str]]] = {
    "t-shirt": ("Soft cotton jersey, regular fit.", "Jersey de coton doux, coupe droite."),
    "trousers": ("Straight leg, mid-rise waist.", "Jambe droite, taille mi-haute."),
    "sweater": ("Fine knit, ribbed cuffs and hem.", "Maille fine, poignets et bas côtelés."),
    "dress": ("Light fabric with a flattering cut.", "Tissu léger, coupe flatteuse."),
    "coat": ("Warm and tailored for cold days.", "Chaud et bien coupé pour les jours froids."),
    "sandals": ("Comfortable straps and a cushioned sole.", "Brides confortables et semelle amortie."),
    "shirt": ("Cotton poplin, classic collar.", "Popeline de coton, col classique."),
    "sneakers": ("Lightweight with a rubber sole.", "Légères, semelle en caoutchouc."),
    "bag": ("Roomy, with an inside pocket.", "Spacieux, avec une poche intérieure."),
    "boots": ("Ankle height with a sturdy sole.", "Tige basse et semelle robuste."),
}

PAIRS: Final[frozenset[str]] = frozenset({"trousers", "sandals", "sneakers", "boots"})

# Colour -> French forms (masc. sing., fem. sing., masc. plur., fem. plur.).
COLOR_FR: Final[dict[str, tuple[str, str, str, str]]] = {
    "black": ("noir", "noire", "noirs", "noires"),
    "white": ("blanc", "blanche", "blancs", "blanches"),
    "grey": ("gris", "grise", "gris", "grises"),
    "navy": ("bleu marine",) * 4,
    "blue": ("bleu", "bleue", "bleus", "bleues"),
    "light blue": ("bleu clair",) * 4,
    "green": ("vert", "verte", "verts", "vertes"),
    "khaki": ("kaki",) * 4,
    "yellow": ("jaune", "jaune", "jaunes", "jaunes"),
    "orange": ("orange",) * 4,
    "red": ("rouge", "rouge", "rouges", "rouges"),
    "burgundy": ("bordeaux",) * 4,
    "pink": ("rose", "rose", "roses", "roses"),
    "purple": ("violet", "violette", "violets", "violettes"),
    "brown": ("marron",) * 4,
    "beige": ("beige", "beige", "beiges", "beiges"),
}

# Pattern -> English title adjective ("" for solid) and English "with ..." phrase (colour goes in {c}).
PATTERN_EN: Final[dict[str, tuple[str, str]]] = {
    "solid": ("", ""),
    "striped": ("striped", "with {c} stripes"),
    "checked": ("checked", "with {c} checks"),
    "dotted": ("polka-dot", "with {c} polka dots"),
    "floral": ("floral", "with a {c} floral print"),
    "graphic": ("graphic", "with a {c} graphic print"),
}
# Pattern -> French noun phrase of the motif and the agreement of its colour (feminine, plural).
PATTERN_FR: Final[dict[str, tuple[str, bool, bool]]] = {
    "striped": ("à rayures", True, True),
    "checked": ("à carreaux", False, True),
    "dotted": ("à pois", False, True),
    "floral": ("à fleurs", True, True),
    "graphic": ("à motif graphique", False, False),
}


def color_fr(color: str, feminine: bool, plural: bool) -> str:
    """The French word for a palette colour, agreed with its noun."""
    return COLOR_FR[color][2 * plural + feminine]


def _agree(masculine: str, noun: FrenchNoun) -> str:
    """A regular French adjective agreed with the noun (rayé -> rayée, rayés, rayées)."""
    return masculine + ("e" if noun.feminine else "") + ("s" if noun.plural else "")


def title_en(category: str, colors: tuple[str, ...], pattern: str) -> str:
    """'Navy striped shirt'."""
    words = [colors[0], PATTERN_EN[pattern][0], NOUN_EN[category]]
    text = " ".join(w for w in words if w)
    return text[0].upper() + text[1:]


def title_fr(category: str, colors: tuple[str, ...], pattern: str) -> str:
    """'Chemise rayée bleu marine', 'Robe rouge à pois', 'Baskets blanches'."""
    noun = NOUN_FR[category]
    color = color_fr(colors[0], noun.feminine, noun.plural)
    if pattern == "solid":
        return f"{noun.word} {color}"
    if pattern == "striped":
        return f"{noun.word} {_agree('rayé', noun)} {color}"
    return f"{noun.word} {color} {PATTERN_FR[pattern][0]}"


def description_en(category: str, colors: tuple[str, ...], pattern: str, brand: str) -> str:
    """Two sentences: what it looks like and who makes it, then what it is made of."""
    noun = NOUN_EN[category]
    look = f"plain {colors[0]} {noun}" if pattern == "solid" else f"{colors[0]} {noun}"
    if pattern != "solid":
        look += " " + PATTERN_EN[pattern][1].format(c=colors[1])
    article = "An" if look[0] in "aeiou" else "A"
    if category in PAIRS:
        article = "A pair of"
    return f"{article} {look} by {brand}. {BLURB[category][0]}"


def description_fr(category: str, colors: tuple[str, ...], pattern: str, brand: str) -> str:
    """Deux phrases : l'aspect et la marque, puis la matière et la coupe."""
    noun = NOUN_FR[category]
    look = f"{noun.word} {color_fr(colors[0], noun.feminine, noun.plural)}"
    if pattern == "solid":
        look += " " + _agree("uni", noun)
    else:
        motif, feminine, plural = PATTERN_FR[pattern]
        look += f" {motif} {color_fr(colors[1], feminine, plural)}"
    return f"{look}, de la marque {brand}. {BLURB[category][1]}"
