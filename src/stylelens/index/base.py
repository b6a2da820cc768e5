"""The vector index contract: every backend (in-process HNSW now, pgvector later) honours it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

Vector = npt.NDArray[np.float32]


@dataclass(frozen=True)
class ItemAttributes:
    """What search can filter on without reading the database."""

    category: str
    price: float
    in_stock: bool
    colors: tuple[str, ...] = ()


@dataclass(frozen=True)
class IndexFilter:
    """Restrict a search to a category, a colour, a price ceiling and/or items in stock."""

    category: str | None = None
    color: str | None = None
    max_price: float | None = None
    in_stock: bool | None = None

    def accepts(self, attrs: ItemAttributes) -> bool:
        return (
            (self.category is None or attrs.category == self.category)
            and (self.color is None or self.color in attrs.colors)
            and (self.max_price is None or attrs.price <= self.max_price)
            and (self.in_stock is None or attrs.in_stock == self.in_stock)
        )

    @property
    def is_empty(self) -> bool:
        return self.category is None and self.color is None and self.max_price is None and self.in_stock is None


@dataclass(frozen=True)
class Neighbour:
    """One search hit: the item's label and its cosine similarity to the query."""

    label: int
    score: float


class VectorIndex(Protocol):
    """Approximate nearest neighbours over L2-normalised vectors, updated item by item."""

    dim: int

    def upsert(self, labels: list[int], vectors: Vector, attributes: list[ItemAttributes]) -> None: ...
    def set_attributes(self, label: int, attributes: ItemAttributes) -> None: ...
    def delete(self, labels: list[int]) -> None: ...
    def search(self, vector: Vector, k: int, where: IndexFilter | None = None) -> list[Neighbour]: ...
    def labels(self) -> set[int]: ...
    def attributes(self, label: int) -> ItemAttributes | None: ...
    def save(self) -> None: ...
    def __len__(self) -> int: ...
