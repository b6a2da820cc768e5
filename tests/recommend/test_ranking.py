"""The re-ranker: size and stock first, diversity, duplicates, cut-off, boosts, reasons."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from stylelens.config import RecommendSettings
from stylelens.recommend.catalog_view import CatalogView
from stylelens.recommend.ranking import RankRequest, Reranker, closeness
from stylelens.recommend.taste import TasteEdits, apply_edits, build_taste


def _visual_candidates(view: CatalogView, row: int, n: int = 200) -> dict[int, float]:
    sims = view.vectors @ view.vectors[row]
    return {view.facts[i].pk: float(sims[i]) for i in np.argsort(-sims)[:n]}


def test_no_item_out_of_stock_in_the_shoppers_size_ranks_above_one_in_stock(view: CatalogView) -> None:
    reranker = Reranker(RecommendSettings())
    for row in range(0, 40, 7):
        ranked = reranker.rank(view, RankRequest(_visual_candidates(view, row), sizes=("M",), limit=60))
        in_size = [view.fact(r.pk).stock["M"] > 0 for r in ranked]  # type: ignore[union-attr]
        assert any(in_size) and not all(in_size), "the test catalog must mix both"
        first_missing = in_size.index(False)
        assert all(in_size[:first_missing]) and not any(in_size[first_missing:]), in_size
        assert "In stock in your size M" in ranked[0].reasons


def test_the_size_rule_holds_even_when_the_out_of_stock_item_is_the_closest(view: CatalogView) -> None:
    sold_out = replace(view.facts[0], stock={"S": 3, "M": 0, "L": 2})
    view.facts[0] = sold_out
    candidates = _visual_candidates(view, 0, 50)
    plain = Reranker(RecommendSettings()).rank(view, RankRequest(candidates, limit=10))
    sized = Reranker(RecommendSettings()).rank(view, RankRequest(candidates, sizes=("M",), limit=50))
    assert plain[0].pk == sold_out.pk  # without a size: the closest item first (it is in stock in S and L)
    assert sized[0].pk != sold_out.pk and sized[-1].pk == sold_out.pk or sold_out.pk not in [r.pk for r in sized[:10]]
    assert "Not in stock in your size M" in next(r.reasons for r in sized if r.pk == sold_out.pk)


def test_near_duplicates_collapse_into_one(view: CatalogView) -> None:
    twin = replace(view.facts[1], pk=10_000, product_id="TWIN")
    twin_view = CatalogView([*view.facts, twin], np.vstack([view.vectors, view.vectors[1]]))
    candidates = _visual_candidates(twin_view, 1, 30)
    ranked = Reranker(RecommendSettings()).rank(twin_view, RankRequest(candidates, limit=20))
    pks = [r.pk for r in ranked]
    assert (view.facts[1].pk in pks) != (10_000 in pks)


def test_relevance_cut_off_drops_items_that_do_not_look_alike(view: CatalogView) -> None:
    candidates = _visual_candidates(view, 0, 200)
    strict = RecommendSettings(min_visual_similarity=0.6)
    ranked = Reranker(strict).rank(view, RankRequest(candidates, limit=200))
    assert ranked and all(r.visual >= 0.6 for r in ranked)
    assert len(ranked) < len(candidates)


def test_diversity_spreads_the_list_over_more_looks(view: CatalogView) -> None:
    request = RankRequest(_visual_candidates(view, 0, 200), limit=12, visual_query=False)
    focused = Reranker(RecommendSettings(diversity=0.0)).rank(view, request)
    varied = Reranker(RecommendSettings(diversity=0.6)).rank(view, request)

    def spread(pks: list[int]) -> float:
        v = view.vectors[view.rows(pks)]
        return float(1 - (v @ v.T).mean())

    assert spread([r.pk for r in varied]) > spread([r.pk for r in focused]) + 0.05


def test_shop_boosts_move_a_brand_up_and_say_so(view: CatalogView) -> None:
    candidates = _visual_candidates(view, 5, 100)
    plain = Reranker(RecommendSettings()).rank(view, RankRequest(candidates, limit=10))
    boosted = Reranker(RecommendSettings(brand_boosts={"Okapi Studio": 0.5})).rank(
        view, RankRequest(candidates, limit=10)
    )
    share = [sum(view.fact(r.pk).brand == "Okapi Studio" for r in rs) for rs in (plain, boosted)]  # type: ignore[union-attr]
    assert share[1] > share[0]
    assert any("Featured by the shop" in r.reasons for r in boosted)


def test_every_result_carries_its_reasons(view: CatalogView) -> None:
    taste = apply_edits(build_taste([], view), TasteEdits(colors=("navy",), sizes=("M",)))
    ranked = Reranker(RecommendSettings()).rank(
        view, RankRequest(_visual_candidates(view, 2), taste=taste, sizes=("M",), query_category="shirt", limit=20)
    )
    assert ranked and all(r.reasons for r in ranked)
    navy = [r for r in ranked if view.fact(r.pk).colors[0] == "navy"]  # type: ignore[union-attr]
    assert navy and all("In a colour you like: navy" in r.reasons for r in navy)


def test_a_visual_match_reads_very_much_like_like_or_a_little_like_at_0_8_and_0_6() -> None:
    assert [closeness(s) for s in (0.95, 0.8, 0.79, 0.6, 0.59, 0.0)] == [
        "very much like",
        "very much like",
        "like",
        "like",
        "a little like",
        "a little like",
    ]
