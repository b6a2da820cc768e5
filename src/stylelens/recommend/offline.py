"""Offline evaluation of the rankings on shoppers whose future is known: personalised vs the baselines.

Three rankers see the same history of each shopper and must find the items of their future:
popularity (most interacted items overall), pure visual similarity in two forms (nearest items to the centroid
of what the shopper interacted with; nearest to any one of those items) and the personalised re-ranker (taste
profile + candidates + re-ranking).
The shoppers are also split by the A/B assignment, and each arm is scored with its own ranker.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from stylelens.config import RecommendSettings
from stylelens.recommend.candidates import Searcher, exact_searcher, taste_candidates
from stylelens.recommend.catalog_view import CatalogView
from stylelens.recommend.experiments import assign_arm
from stylelens.recommend.metrics import catalog_coverage, intra_list_diversity, mean, ndcg_at_k, recall_at_k
from stylelens.recommend.ranking import RankRequest, Reranker
from stylelens.recommend.simulation import NOW, SimulatedShopper, SimulationSpec, simulate_shoppers
from stylelens.recommend.taste import EVENT_WEIGHTS, ShopperEvent, build_taste

Ranker = Callable[[SimulatedShopper], list[int]]


@dataclass(frozen=True)
class MethodScores:
    method: str
    shoppers: int
    recall: float
    ndcg: float
    coverage: float
    diversity: float


@dataclass(frozen=True)
class OfflineReport:
    k: int
    catalog_size: int
    spec: SimulationSpec
    methods: dict[str, MethodScores]
    arms: dict[str, MethodScores]
    shoppers_from: str = "simulated"

    @property
    def best_visual(self) -> str:
        """The stronger of the two pure visual-similarity baselines (by NDCG@k)."""
        return max(("visual", "visual_items"), key=lambda name: self.methods[name].ndcg)

    def uplift(self, baseline: str) -> float:
        """Relative NDCG@k gain of the personalised ranking over a baseline."""
        base = self.methods[baseline].ndcg
        return self.methods["personalised"].ndcg / base - 1 if base else float("inf")

    def as_dict(self) -> dict[str, object]:
        return {
            "k": self.k,
            "shoppers_from": self.shoppers_from,
            "catalog_size": self.catalog_size,
            "simulation": asdict(self.spec),
            "methods": {name: asdict(m) for name, m in self.methods.items()},
            "ab_arms": {name: asdict(m) for name, m in self.arms.items()},
            "ndcg_uplift_vs_visual": self.uplift("visual"),
            "ndcg_uplift_vs_best_visual": self.uplift(self.best_visual),
            "ndcg_uplift_vs_popularity": self.uplift("popularity"),
        }


def split_logged(
    events: dict[str, list[ShopperEvent]], history_share: float = 0.7, min_events: int = 6
) -> list[SimulatedShopper]:
    """Logged shoppers as evaluation cases: their first events are the history, the rest the future."""
    shoppers = []
    for shopper_id, items in sorted(events.items()):
        if len(items) < min_events:
            continue
        cut = int(len(items) * history_share)
        history = items[:cut]
        seen = {e.product_pk for e in history}
        future = {e.product_pk for e in items[cut:] if EVENT_WEIGHTS.get(e.kind, 0) > 0} - seen
        if future and any(EVENT_WEIGHTS.get(e.kind, 0) > 0 for e in history):
            shoppers.append(SimulatedShopper(shopper_id, history, future))
    return shoppers


def popularity_ranker(shoppers: list[SimulatedShopper], k: int) -> Ranker:
    counts: Counter[int] = Counter()
    for shopper in shoppers:
        counts.update(e.product_pk for e in shopper.history if EVENT_WEIGHTS.get(e.kind, 0) > 0)
    ordered = [pk for pk, _ in counts.most_common()]

    def rank(shopper: SimulatedShopper) -> list[int]:
        seen = {e.product_pk for e in shopper.history}
        return [pk for pk in ordered if pk not in seen][:k]

    return rank


def visual_ranker(view: CatalogView, k: int) -> Ranker:
    """Nearest items to the mean look of everything the shopper interacted with."""

    def rank(shopper: SimulatedShopper) -> list[int]:
        seen = {e.product_pk for e in shopper.history}
        rows = view.rows(e.product_pk for e in shopper.history if EVENT_WEIGHTS.get(e.kind, 0) > 0)
        centroid = view.vectors[rows].mean(axis=0)
        order = np.argsort(-(view.vectors @ centroid))
        return [pk for pk in (view.facts[i].pk for i in order[: k + len(seen)]) if pk not in seen][:k]

    return rank


def visual_items_ranker(view: CatalogView, k: int) -> Ranker:
    """Items closest to any one item the shopper interacted with (max similarity): visual, but multi-look."""

    def rank(shopper: SimulatedShopper) -> list[int]:
        seen = {e.product_pk for e in shopper.history}
        rows = view.rows(e.product_pk for e in shopper.history if EVENT_WEIGHTS.get(e.kind, 0) > 0)
        sims = (view.vectors @ view.vectors[rows].T).max(axis=1)
        order = np.argsort(-sims)
        return [pk for pk in (view.facts[i].pk for i in order[: k + len(seen)]) if pk not in seen][:k]

    return rank


def personalised_ranker(view: CatalogView, settings: RecommendSettings, k: int, search: Searcher) -> Ranker:
    reranker = Reranker(settings)

    def rank(shopper: SimulatedShopper) -> list[int]:
        taste = build_taste(
            shopper.history, view, now=NOW, half_life_days=settings.taste_half_life_days, centres=settings.taste_centres
        )
        candidates = taste_candidates(view, taste, settings.candidates, search)
        request = RankRequest(candidates, taste=taste, limit=k, exclude=taste.seen, visual_query=False)
        return [r.pk for r in reranker.rank(view, request)]

    return rank


def score(method: str, rank: Ranker, shoppers: list[SimulatedShopper], view: CatalogView, k: int) -> MethodScores:
    lists = [rank(s) for s in shoppers]
    return MethodScores(
        method=method,
        shoppers=len(shoppers),
        recall=round(mean(recall_at_k(r, s.future, k) for r, s in zip(lists, shoppers, strict=True)), 4),
        ndcg=round(mean(ndcg_at_k(r, s.future, k) for r, s in zip(lists, shoppers, strict=True)), 4),
        coverage=round(catalog_coverage(lists, len(view), k), 4),
        diversity=round(mean(intra_list_diversity(r, view, k) for r in lists), 4),
    )


def evaluate(
    view: CatalogView,
    settings: RecommendSettings,
    spec: SimulationSpec,
    k: int = 10,
    treatment_share: float = 0.5,
    search: Searcher | None = None,
    logged: list[SimulatedShopper] | None = None,
) -> OfflineReport:
    """Simulate the shoppers (or take logged ones), score every ranker on all of them, then each A/B arm."""
    shoppers = logged if logged is not None else [s for s in simulate_shoppers(view, spec) if s.future]
    rankers = {
        "popularity": popularity_ranker(shoppers, k),
        "visual": visual_ranker(view, k),
        "visual_items": visual_items_ranker(view, k),
        "personalised": personalised_ranker(view, settings, k, search or exact_searcher(view)),
    }
    methods = {name: score(name, rank, shoppers, view, k) for name, rank in rankers.items()}
    arms: dict[str, MethodScores] = {}
    for arm, method in (("control", "visual"), ("treatment", "personalised")):
        members = [s for s in shoppers if assign_arm(s.shopper_id, settings.experiment, treatment_share) == arm]
        arms[arm] = score(f"{arm} ({method})", rankers[method], members, view, k)
    return OfflineReport(k, len(view), spec, methods, arms, "logged events" if logged is not None else "simulated")
