"""The embedded vector index keeps the catalog searchable through adds, updates, deletes and restarts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from backend_contracts import DIM, attrs, unit_vectors

from stylelens.index.base import IndexFilter, ItemAttributes
from stylelens.index.hnsw import HnswIndex


@pytest.fixture
def filled(tmp_path: Path) -> tuple[HnswIndex, np.ndarray]:
    index = HnswIndex(tmp_path / "index", DIM)
    vectors = unit_vectors(3000)
    index.upsert(list(range(3000)), vectors, [attrs(i) for i in range(3000)])
    return index, vectors


def test_an_item_finds_itself_first_and_recall_is_high(filled: tuple[HnswIndex, np.ndarray]) -> None:
    index, vectors = filled
    exact = np.argsort(-vectors[:100] @ vectors.T, axis=1)[:, :10]
    found = [[n.label for n in index.search(vectors[i], 10)] for i in range(100)]
    assert all(f[0] == i for i, f in enumerate(found))
    recall = np.mean([len(set(f) & set(e)) / 10 for f, e in zip(found, exact, strict=True)])
    assert recall >= 0.95


def test_filters_keep_only_matching_items(filled: tuple[HnswIndex, np.ndarray]) -> None:
    index, vectors = filled
    where = IndexFilter(category="dress", max_price=1000.0, in_stock=True, color="white")
    hits = index.search(vectors[0], 20, where)
    assert len(hits) == 20
    for hit in hits:
        a = index.attributes(hit.label)
        assert a is not None and a.category == "dress" and a.price <= 1000 and a.in_stock and "white" in a.colors


def test_a_filter_nothing_passes_gives_no_results(filled: tuple[HnswIndex, np.ndarray]) -> None:
    index, vectors = filled
    assert index.search(vectors[0], 10, IndexFilter(category="sandals")) == []


def test_delete_update_and_readd(filled: tuple[HnswIndex, np.ndarray]) -> None:
    index, vectors = filled
    index.delete([5])
    assert 5 not in {n.label for n in index.search(vectors[5], 10)}
    assert len(index) == 2999
    index.upsert([5], vectors[6:7], [attrs(5)])  # re-added with another vector
    assert index.search(vectors[6], 2)[0].label in {5, 6}
    assert {n.label for n in index.search(vectors[6], 2)} == {5, 6}
    index.set_attributes(6, ItemAttributes("coat", 1.0, False))
    assert index.attributes(6) == ItemAttributes("coat", 1.0, False)


def test_saved_index_reloads_identically(filled: tuple[HnswIndex, np.ndarray], tmp_path: Path) -> None:
    index, vectors = filled
    index.delete([7])
    index.save()
    again = HnswIndex(index.path, DIM)
    assert len(again) == len(index)
    assert [n.label for n in again.search(vectors[3], 5)] == [n.label for n in index.search(vectors[3], 5)]
    assert 7 not in {n.label for n in again.search(vectors[7], 5)}
    again.upsert([7], vectors[7:8], [attrs(7)])
    assert again.search(vectors[7], 1)[0].label == 7


def test_index_grows_past_its_initial_capacity(tmp_path: Path) -> None:
    index = HnswIndex(tmp_path / "i", DIM)
    vectors = unit_vectors(5000, seed=3)
    for start in range(0, 5000, 700):
        labels = list(range(start, min(start + 700, 5000)))
        index.upsert(labels, vectors[labels], [attrs(i) for i in labels])
    assert len(index) == 5000
    assert index.search(vectors[4999], 1)[0].label == 4999


def test_wrong_dimension_on_disk_is_refused(filled: tuple[HnswIndex, np.ndarray]) -> None:
    index, _ = filled
    index.save()
    with pytest.raises(ValueError, match="dim"):
        HnswIndex(index.path, DIM + 1)
