"""Simulated shoppers for offline evaluation: a hidden taste, noisy clicks, and a held-out future.

Each shopper has a latent taste over visual clusters of the real catalog embeddings (k-means), main colours,
kinds of garment and a price level within each kind. They interact with items drawn in proportion to
exp(utility / temperature); a share of clicks are pure noise (any item); out-of-stock items are less
attractive. The first events form the history a ranker may use; the later ones are the future it must find.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

import numpy as np

from stylelens.recommend.catalog_view import CatalogView
from stylelens.recommend.taste import ShopperEvent

KINDS: Final[tuple[str, ...]] = ("view", "like", "save", "add_to_cart", "purchase")
KIND_SHARES: Final[tuple[float, ...]] = (0.55, 0.2, 0.08, 0.12, 0.05)
NOW: Final[datetime] = datetime(2026, 6, 1, tzinfo=UTC)


@dataclass(frozen=True)
class SimulationSpec:
    shoppers: int = 400
    history: int = 30
    future: int = 15
    noise: float = 0.15  # share of clicks on a random item
    temperature: float = 0.6
    clusters: int = 24
    seed: int = 11


@dataclass(frozen=True)
class SimulatedShopper:
    shopper_id: str
    history: list[ShopperEvent]
    future: set[int]


def visual_clusters(view: CatalogView, k: int, seed: int, iterations: int = 15) -> np.ndarray:
    """Cluster number of each catalog row (spherical k-means on the embeddings)."""
    rng = np.random.default_rng(seed)
    centres = view.vectors[rng.choice(len(view), size=k, replace=False)].copy()
    for _ in range(iterations):
        assign = np.argmax(view.vectors @ centres.T, axis=1)
        for j in range(k):
            if (members := assign == j).any():
                centres[j] = view.vectors[members].mean(axis=0)
        centres /= np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-12)
    labels: np.ndarray = np.argmax(view.vectors @ centres.T, axis=1)
    return labels


def price_levels(view: CatalogView) -> np.ndarray:
    """Each item's price percentile within its kind of garment, 0..1."""
    levels = np.zeros(len(view))
    for j in range(len(view.categories)):
        rows = np.flatnonzero(view.category_ids == j)
        order = np.argsort(view.prices[rows])
        levels[rows[order]] = np.linspace(0, 1, len(rows)) if len(rows) > 1 else 0.5
    return levels


def simulate_shoppers(view: CatalogView, spec: SimulationSpec) -> list[SimulatedShopper]:
    """Deterministic for a given catalog and spec."""
    rng = np.random.default_rng(spec.seed)
    k = min(spec.clusters, max(2, len(view) // 50))  # small catalogs: fewer, fuller clusters
    clusters = visual_clusters(view, k, spec.seed)
    levels = price_levels(view)
    main_color = np.array([view.color_index[f.colors[0]] if f.colors else 0 for f in view.facts])
    stocked = np.array([f.in_stock for f in view.facts])
    sizes = np.bincount(clusters, minlength=k)
    big = np.argsort(-sizes)[: max(2, int((sizes >= 20).sum()))]  # looks with enough items to like
    return [
        _shopper(f"sim-{n:04d}", view, rng, spec, clusters, big, levels, main_color, stocked)
        for n in range(spec.shoppers)
    ]


def _shopper(
    shopper_id: str,
    view: CatalogView,
    rng: np.random.Generator,
    spec: SimulationSpec,
    clusters: np.ndarray,
    big: np.ndarray,
    levels: np.ndarray,
    main_color: np.ndarray,
    stocked: np.ndarray,
) -> SimulatedShopper:
    cluster_pref = np.zeros(clusters.max() + 1)
    cluster_pref[rng.choice(big, size=2, replace=False)] = rng.dirichlet([2, 2])
    color_pref = np.zeros(len(view.colors))
    color_pref[rng.choice(len(view.colors), size=2, replace=False)] = rng.dirichlet([2, 2])
    category_pref = np.zeros(len(view.categories))
    category_pref[rng.choice(len(view.categories), size=2, replace=False)] = rng.dirichlet([2, 2])
    budget = rng.uniform(0, 1)
    utility = (
        3.0 * cluster_pref[clusters]
        + 3.0 * color_pref[main_color]
        + 3.0 * category_pref[view.category_ids]
        + 1.0 * np.exp(-3 * np.abs(levels - budget))
        - 1.0 * ~stocked
    )
    p = np.exp((utility - utility.max()) / spec.temperature)
    total = spec.history + spec.future
    picks = list(rng.choice(len(view), size=total, replace=False, p=p / p.sum()))
    for i in range(total):
        if rng.random() < spec.noise:
            picks[i] = int(rng.integers(len(view)))
    kinds = rng.choice(len(KINDS), size=total, p=KIND_SHARES)
    start = rng.uniform(20, 90)
    times = [NOW - timedelta(days=start * (1 - i / total)) for i in range(total)]
    events = [ShopperEvent(view.facts[r].pk, KINDS[k], t) for r, k, t in zip(picks, kinds, times, strict=True)]
    history = events[: spec.history]
    seen = {e.product_pk for e in history}
    future = {e.product_pk for e in events[spec.history :]} - seen
    return SimulatedShopper(shopper_id, history, future)
