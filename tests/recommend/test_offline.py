"""Offline evaluation: the metrics, and personalised ranking against the baselines on simulated shoppers."""

from __future__ import annotations

import math

import pytest

from stylelens.config import RecommendSettings
from stylelens.recommend.catalog_view import CatalogView
from stylelens.recommend.experiments import assign_arm
from stylelens.recommend.metrics import catalog_coverage, intra_list_diversity, ndcg_at_k, recall_at_k
from stylelens.recommend.offline import evaluate, split_logged
from stylelens.recommend.simulation import NOW, SimulationSpec, simulate_shoppers
from stylelens.recommend.taste import ShopperEvent


def test_metrics_on_hand_computed_lists(view: CatalogView) -> None:
    assert recall_at_k([1, 2, 3], {2, 9}, 3) == 0.5
    assert ndcg_at_k([9, 1, 2], {9}, 3) == 1.0
    assert ndcg_at_k([1, 9], {9}, 2) == pytest.approx(1 / math.log2(3))
    assert catalog_coverage([[1, 2], [2, 3]], 10, 2) == 0.3
    assert intra_list_diversity([1, 1], view, 2) == pytest.approx(0.0, abs=1e-6)
    assert intra_list_diversity([1, 2, 3], view, 3) > 0


def test_simulated_shoppers_have_a_history_and_a_different_future(view: CatalogView) -> None:
    shoppers = simulate_shoppers(view, SimulationSpec(shoppers=20, history=12, future=6))
    assert len(shoppers) == 20 and all(len(s.history) == 12 for s in shoppers)
    assert all(not (s.future & {e.product_pk for e in s.history}) for s in shoppers)
    assert simulate_shoppers(view, SimulationSpec(shoppers=20, history=12, future=6))[3] == shoppers[3]


def test_personalised_beats_visual_similarity_and_popularity(view: CatalogView) -> None:
    spec = SimulationSpec(shoppers=120, history=20, future=10, clusters=8)
    report = evaluate(view, RecommendSettings(candidates=120), spec, k=10)
    ndcg = {name: m.ndcg for name, m in report.methods.items()}
    assert ndcg["personalised"] >= 1.2 * max(ndcg["visual"], ndcg["visual_items"]), ndcg
    assert ndcg["personalised"] > ndcg["popularity"], ndcg
    assert report.methods["personalised"].coverage >= 0.3
    assert set(report.arms) == {"control", "treatment"}
    assert sum(a.shoppers for a in report.arms.values()) == report.methods["visual"].shoppers


def test_logged_events_are_evaluated_the_same_way(view: CatalogView) -> None:
    simulated = simulate_shoppers(view, SimulationSpec(shoppers=60, history=20, future=10, clusters=8))
    logged = {s.shopper_id: s.history + [ShopperEvent(pk, "like", NOW) for pk in sorted(s.future)] for s in simulated}
    cases = split_logged(logged)
    assert len(cases) == 60 and all(c.future and len(c.history) == int(len(logged[c.shopper_id]) * 0.7) for c in cases)
    report = evaluate(view, RecommendSettings(candidates=120), SimulationSpec(), k=10, logged=cases)
    assert report.shoppers_from == "logged events" and report.methods["personalised"].shoppers == 60
    assert report.methods["personalised"].ndcg > report.methods["popularity"].ndcg


def test_ab_assignment_is_stable_and_follows_the_share() -> None:
    arms = [assign_arm(f"s{i}", "exp", 0.3) for i in range(2000)]
    assert arms == [assign_arm(f"s{i}", "exp", 0.3) for i in range(2000)]
    assert 0.25 < arms.count("treatment") / 2000 < 0.35
    assert assign_arm("s1", "exp", 0.0) == "control" and assign_arm("s1", "exp", 1.0) == "treatment"
