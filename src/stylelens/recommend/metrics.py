"""Offline ranking metrics as free functions, reused by tests, `stylelens eval recommend` and benchmarks."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from stylelens.recommend.catalog_view import CatalogView


def recall_at_k(ranked: Sequence[int], relevant: set[int], k: int) -> float:
    """Share of the relevant items found in the first k (out of at most k findable)."""
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & relevant) / min(len(relevant), k)


def ndcg_at_k(ranked: Sequence[int], relevant: set[int], k: int) -> float:
    """Normalised discounted cumulative gain with binary relevance."""
    if not relevant:
        return 0.0
    dcg = sum(1.0 / math.log2(i + 2) for i, item in enumerate(ranked[:k]) if item in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return dcg / ideal


def catalog_coverage(lists: Iterable[Sequence[int]], catalog_size: int, k: int) -> float:
    """Share of the catalog that appears in at least one top-k list."""
    shown = {item for ranked in lists for item in ranked[:k]}
    return len(shown) / catalog_size if catalog_size else 0.0


def intra_list_diversity(ranked: Sequence[int], view: CatalogView, k: int) -> float:
    """Mean visual dissimilarity (1 - cosine) between pairs of items in the first k."""
    rows = view.rows(ranked[:k])
    if len(rows) < 2:
        return 0.0
    vectors = view.vectors[rows]
    sims = vectors @ vectors.T
    n = len(rows)
    return float((n * n - sims.sum()) / (n * (n - 1)))


def mean(values: Iterable[float]) -> float:
    items = list(values)
    return float(np.mean(items)) if items else 0.0
