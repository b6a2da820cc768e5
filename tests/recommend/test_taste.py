"""The taste profile: several looks, decayed with time, in words, edited by the shopper."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from stylelens.recommend.catalog_view import CatalogView
from stylelens.recommend.taste import ShopperEvent, TasteEdits, build_taste, describe

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _cluster_rows(view: CatalogView, cluster: int, n: int) -> list[int]:
    return [i for i in range(len(view)) if i % 8 == cluster][:n]


def test_two_separate_looks_give_two_centres_not_one_average(view: CatalogView) -> None:
    rows = _cluster_rows(view, 0, 6) + _cluster_rows(view, 3, 6)
    events = [ShopperEvent(view.facts[r].pk, "like", NOW - timedelta(days=1)) for r in rows]
    taste = build_taste(events, view, now=NOW, centres=3)
    assert len(taste.centres) >= 2
    for cluster in (0, 3):
        members = view.vectors[_cluster_rows(view, cluster, 20)[6:]]  # items of that look not liked yet
        assert float((members @ taste.centres.T).max(axis=1).mean()) > 0.8
    average = view.vectors[view.rows(view.facts[r].pk for r in rows)].mean(axis=0)
    average /= np.linalg.norm(average)
    assert float((view.vectors[_cluster_rows(view, 0, 20)[6:]] @ average).mean()) < 0.8


def test_recent_events_weigh_more_than_old_ones(view: CatalogView) -> None:
    old = [ShopperEvent(view.facts[r].pk, "purchase", NOW - timedelta(days=200)) for r in _cluster_rows(view, 1, 6)]
    new = [ShopperEvent(view.facts[r].pk, "like", NOW - timedelta(days=2)) for r in _cluster_rows(view, 2, 3)]
    taste = build_taste(old + new, view, now=NOW, half_life_days=30)
    assert taste.top(taste.categories, 1) == [view.facts[_cluster_rows(view, 2, 1)[0]].category]


def test_dislikes_are_never_shown_again_and_count_against(view: CatalogView) -> None:
    pk = view.facts[0].pk
    taste = build_taste([ShopperEvent(pk, "dislike", NOW)], view, now=NOW)
    assert pk in taste.disliked and not taste.colors


def test_taste_in_words_and_the_shoppers_edits_win(view: CatalogView) -> None:
    navy_shirts = [f.pk for f in view.facts if f.category == "shirt" and f.colors[0] == "navy"][:5]
    taste = build_taste([ShopperEvent(pk, "like", NOW) for pk in navy_shirts], view, now=NOW)
    text = describe(taste)
    assert text.startswith("you like: navy") and "shirt" in text and "EUR" in text
    edited = build_taste(
        [ShopperEvent(pk, "like", NOW) for pk in navy_shirts], view, now=NOW,
        edits=TasteEdits(hidden_colors=("navy",), colors=("green",), max_price=60, sizes=("M",)),
    )  # fmt: skip
    assert "navy" not in edited.colors and "green" in edited.colors
    assert edited.price_band is not None and edited.price_band[1] == 60 and edited.sizes == ("M",)
    assert "under 60 EUR" in describe(edited) and "size M" in describe(edited)


def test_no_events_means_an_honest_empty_taste(view: CatalogView) -> None:
    taste = build_taste([], view, now=NOW)
    assert taste.is_empty and describe(taste).startswith("we don't know your taste yet")
