"""Shopper-style photos of catalog items (busy backgrounds, casts, occlusion, worn by a person) find the item.

A small version of `stylelens eval vision` (200 catalog items, 40 photos) so CI notices a regression; the
published figures come from the full command (2,400 items, 300 photos).
"""

from __future__ import annotations

import numpy as np

from stylelens.evaluation.metrics import box_iou, ranks_of_truth, recall_at_k
from stylelens.evaluation.vision import shopper_evaluation
from stylelens.vision.analysis import GarmentAnalyser


def test_shopper_photos_find_their_item_and_its_attributes(analyser: GarmentAnalyser) -> None:
    shopper, packshots = shopper_evaluation(analyser, catalog_size=200, queries=40)
    numbers = shopper.summary()
    assert set(shopper.styles) == {"busy", "sheet", "cast", "occluded", "worn"}
    assert numbers["recall@10"] >= 0.8, numbers
    assert numbers["recall@1"] >= 0.5, numbers
    assert numbers["pattern_accuracy"] >= 0.75, numbers
    assert numbers["main_colour_accuracy"] >= 0.75, numbers
    assert packshots.summary()["main_colour_accuracy"] >= 0.95


def test_metrics_count_what_a_shopper_sees() -> None:
    scores = np.array([[0.9, 0.8, 0.1], [0.2, 0.3, 0.95]])
    ranks = ranks_of_truth(scores, [1, 2])
    assert list(ranks) == [1, 0]
    assert recall_at_k(ranks, 1) == 0.5 and recall_at_k(ranks, 2) == 1.0
    assert box_iou((0, 0, 10, 10), (5, 0, 15, 10)) == 50 / 150
