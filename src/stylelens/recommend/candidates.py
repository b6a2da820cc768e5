"""Where candidates come from before re-ranking: the vector index near each look the shopper likes, and the
items whose colours, kinds and price fit the taste best."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from stylelens.index.base import Vector, VectorIndex
from stylelens.recommend.catalog_view import CatalogView
from stylelens.recommend.taste import TasteProfile

# A nearest-neighbour search: vector and k in, (product pk, cosine) out, best first.
Searcher = Callable[[Vector, int], list[tuple[int, float]]]


def index_searcher(index: VectorIndex) -> Searcher:
    return lambda vector, k: [(n.label, n.score) for n in index.search(vector, k)]


def exact_searcher(view: CatalogView) -> Searcher:
    """Exact search over the in-memory catalog (offline evaluation; small catalogs)."""

    def search(vector: Vector, k: int) -> list[tuple[int, float]]:
        sims = view.vectors @ vector
        top = np.argsort(-sims)[:k]
        return [(view.facts[i].pk, float(sims[i])) for i in top]

    return search


def taste_candidates(view: CatalogView, taste: TasteProfile, n: int, search: Searcher) -> dict[int, float]:
    """About n items for a feed: neighbours of each look (shared by its weight), then the best attribute fits."""
    found: dict[int, float] = {}
    visual_budget = n // 2 if taste.colors or taste.categories else n
    for centre, share in zip(taste.centres, taste.centre_weights, strict=True):
        for pk, _ in search(centre, max(math.ceil(visual_budget * share), 10)):
            found.setdefault(pk, 0.0)
    if taste.colors or taste.categories:
        cw = view.color_weights(taste.colors)
        kw = view.category_weights(taste.categories)
        fit = view.color_matrix @ (cw / max(cw.max(), 1e-6)) + (kw / max(kw.max(), 1e-6))[view.category_ids]
        for i in np.argsort(-fit)[: n - len(found) + len(taste.seen)]:
            found.setdefault(view.facts[i].pk, 0.0)
    return found
