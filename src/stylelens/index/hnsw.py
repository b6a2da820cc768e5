"""The embedded vector index: hnswlib's HNSW graph in process, persisted next to the catalog.

Chosen over faiss-cpu on our own catalog embeddings (benchmarks/index_choice.py): it updates and deletes items in
place, which the catalog's incremental sync needs, and filters during the graph walk.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import hnswlib
import numpy as np

from stylelens.index.base import IndexFilter, ItemAttributes, Neighbour, Vector

_GRAPH = "graph.bin"
OVERFETCH_LIMIT = 2000  # largest unfiltered k fetched before falling back to filtering inside the graph walk
FILTER_CACHE_SIZE = 256
_ATTRS = "attributes.json"


class HnswIndex:
    """Approximate cosine search over the catalog, with filters on category, colour, price and stock."""

    def __init__(self, path: Path, dim: int, *, m: int = 32, ef_construction: int = 200, ef_search: int = 128):
        self.path = path
        self.dim = dim
        self._ef_search = ef_search
        self._lock = threading.RLock()
        self._attrs: dict[int, ItemAttributes] = {}
        self._deleted: set[int] = set()  # labels whose graph slot is marked deleted
        self._version = 0  # bumped on every change, so cached filter results are never stale
        self._filter_cache: dict[IndexFilter, tuple[int, frozenset[int]]] = {}
        self._graph = hnswlib.Index(space="ip", dim=dim)
        if (path / _GRAPH).is_file():
            self._load()
        else:
            self._graph.init_index(max_elements=1024, M=m, ef_construction=ef_construction, allow_replace_deleted=True)
        self._graph.set_ef(ef_search)
        self._graph.set_num_threads(1)

    def _load(self) -> None:
        meta = json.loads((self.path / _ATTRS).read_text())
        if meta["dim"] != self.dim:
            raise ValueError(f"index at {self.path} has dim {meta['dim']}, expected {self.dim}")
        self._graph.load_index(str(self.path / _GRAPH), allow_replace_deleted=True)
        self._attrs = {int(k): _attrs_from_json(v) for k, v in meta["items"].items()}
        self._deleted = {int(label) for label in meta.get("deleted", [])}

    def __len__(self) -> int:
        return len(self._attrs)

    def labels(self) -> set[int]:
        return set(self._attrs)

    def attributes(self, label: int) -> ItemAttributes | None:
        return self._attrs.get(label)

    def upsert(self, labels: list[int], vectors: Vector, attributes: list[ItemAttributes]) -> None:
        """Add items, or replace the vector and attributes of items already there."""
        if not labels:
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(labels), self.dim)
        with self._lock:
            needed = self._graph.get_current_count() + len(labels)
            if needed > self._graph.get_max_elements():
                self._graph.resize_index(max(needed, 2 * self._graph.get_max_elements()))
            for label in self._deleted.intersection(labels):
                self._graph.unmark_deleted(label)
                self._deleted.discard(label)
            self._graph.add_items(vectors, np.asarray(labels, dtype=np.int64), replace_deleted=False)
            self._attrs.update(zip(labels, attributes, strict=True))
            self._version += 1

    def set_attributes(self, label: int, attributes: ItemAttributes) -> None:
        """Change what filters see for an item (price, stock...) without touching its vector."""
        with self._lock:
            if label in self._attrs:
                self._attrs[label] = attributes
                self._version += 1

    def delete(self, labels: list[int]) -> None:
        """Remove items from search results (their graph slots stay until `stylelens index rebuild` compacts)."""
        with self._lock:
            for label in labels:
                if self._attrs.pop(label, None) is not None:
                    self._graph.mark_deleted(label)
                    self._deleted.add(label)
            self._version += 1

    def search(self, vector: Vector, k: int, where: IndexFilter | None = None) -> list[Neighbour]:
        """The k items most similar to `vector` that pass the filter, best first."""
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, self.dim)
        with self._lock:
            if where is None or where.is_empty:
                return self._knn(query, min(k, len(self._attrs)))
            allowed = self._matching(where)
            k = min(k, len(allowed))
            if k == 0:
                return []
            # Over-fetch without the filter, then keep the allowed items: exact and fast for common filters.
            wanted = min(len(self._attrs), int(k * len(self._attrs) / len(allowed) * 2) + 10)
            if wanted <= OVERFETCH_LIMIT:
                hits = [n for n in self._knn(query, wanted) if n.label in allowed]
                if len(hits) >= k:
                    return hits[:k]
            return self._knn(query, k, allowed.__contains__)

    def _knn(self, query: Vector, k: int, accepts: Callable[[int], bool] | None = None) -> list[Neighbour]:
        if k <= 0:
            return []
        self._graph.set_ef(max(self._ef_search, k))
        found, distances = self._graph.knn_query(query, k=k, filter=accepts)
        return [Neighbour(int(label), float(1.0 - d)) for label, d in zip(found[0], distances[0], strict=True)]

    def _matching(self, where: IndexFilter) -> frozenset[int]:
        """Labels passing a filter, cached until the index changes (shoppers reuse the same filters)."""
        cached = self._filter_cache.get(where)
        if cached is None or cached[0] != self._version:
            labels = frozenset(label for label, a in self._attrs.items() if where.accepts(a))
            if len(self._filter_cache) >= FILTER_CACHE_SIZE:
                self._filter_cache.clear()
            cached = self._filter_cache[where] = (self._version, labels)
        return cached[1]

    def replace_with(self, fresh: HnswIndex) -> None:
        """Adopt a freshly built index (files and memory) in place of this one."""
        with self._lock:
            self.path.mkdir(parents=True, exist_ok=True)
            for name in (_GRAPH, _ATTRS):
                os.replace(fresh.path / name, self.path / name)
            fresh.path.rmdir()
            self._graph, self._attrs, self._deleted = fresh._graph, fresh._attrs, fresh._deleted
            self._version += 1

    def save(self) -> None:
        """Write the graph and attributes atomically (temporary files, then rename)."""
        with self._lock:
            self.path.mkdir(parents=True, exist_ok=True)
            tmp_graph = self.path / f".{_GRAPH}.tmp"
            self._graph.save_index(str(tmp_graph))
            tmp_attrs = self.path / f".{_ATTRS}.tmp"
            items = {str(label): asdict(a) for label, a in self._attrs.items()}
            tmp_attrs.write_text(json.dumps({"dim": self.dim, "items": items, "deleted": sorted(self._deleted)}))
            os.replace(tmp_graph, self.path / _GRAPH)
            os.replace(tmp_attrs, self.path / _ATTRS)


def _attrs_from_json(raw: dict[str, object]) -> ItemAttributes:
    return ItemAttributes(
        category=str(raw["category"]),
        price=float(raw["price"]),  # type: ignore[arg-type]
        in_stock=bool(raw["in_stock"]),
        colors=tuple(raw.get("colors", ())),  # type: ignore[arg-type]
    )
