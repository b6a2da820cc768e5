"""The catalog as the re-ranker reads it: every item's embedding and attributes in memory, in arrays.

Ranking 200 candidates must cost little next to reading a photo, so it never touches the database: the
view is loaded once (and again when the catalog changes) from the stored embeddings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from stylelens.storage.models import Product, ProductEmbedding

Matrix = npt.NDArray[np.float32]


@dataclass(frozen=True)
class ItemFacts:
    """What ranking needs to know about one catalog item besides its look."""

    pk: int
    product_id: str
    category: str
    colors: tuple[str, ...]
    price: float
    brand: str = ""
    pattern: str = "solid"
    stock: dict[str, int] = field(default_factory=dict)
    title: str = ""

    @property
    def in_stock(self) -> bool:
        return any(q > 0 for q in self.stock.values())

    def available_for(self, sizes: tuple[str, ...]) -> bool:
        """In stock in one of the shopper's sizes this item comes in (any size when it comes in none of them)."""
        mine = [s for s in sizes if s in self.stock]
        return any(self.stock[s] > 0 for s in mine) if mine else self.in_stock


class CatalogView:
    """Items by row: `vectors[i]` (L2-normalised) and `facts[i]`; `row[pk]` finds an item's row."""

    def __init__(self, facts: list[ItemFacts], vectors: Matrix) -> None:
        if len(facts) != len(vectors):
            raise ValueError("one vector per item")
        self.facts = facts
        norms = np.linalg.norm(vectors, axis=1, keepdims=True) if len(vectors) else np.ones((0, 1))
        self.vectors: Matrix = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
        self.row = {f.pk: i for i, f in enumerate(facts)}
        self.prices = np.array([f.price for f in facts], dtype=np.float32)
        self.categories = sorted({f.category for f in facts})
        self.colors = sorted({c for f in facts for c in f.colors})
        self.color_index = {c: j for j, c in enumerate(self.colors)}
        self.category_index = {c: j for j, c in enumerate(self.categories)}
        # Main colour counts fully, a second colour half: rows x colours, and each item's category number.
        self.color_matrix = np.zeros((len(facts), len(self.colors)), dtype=np.float32)
        for i, f in enumerate(facts):
            for rank, c in enumerate(f.colors[:2]):
                self.color_matrix[i, self.color_index[c]] = max(self.color_matrix[i, self.color_index[c]], 0.5**rank)
        self.category_ids = np.array([self.category_index[f.category] for f in facts], dtype=np.int64)
        self.text_vectors: Matrix | None = None  # MiniLM embeddings of titles + descriptions, filled on demand

    def color_weights(self, prefs: dict[str, float]) -> npt.NDArray[np.float32]:
        out = np.zeros(len(self.colors), dtype=np.float32)
        for name, w in prefs.items():
            if name in self.color_index:
                out[self.color_index[name]] = w
        return out

    def category_weights(self, prefs: dict[str, float]) -> npt.NDArray[np.float32]:
        out = np.zeros(len(self.categories), dtype=np.float32)
        for name, w in prefs.items():
            if name in self.category_index:
                out[self.category_index[name]] = w
        return out

    def __len__(self) -> int:
        return len(self.facts)

    def rows(self, pks: Iterable[int]) -> list[int]:
        return [self.row[pk] for pk in pks if pk in self.row]

    def fact(self, pk: int) -> ItemFacts | None:
        i = self.row.get(pk)
        return None if i is None else self.facts[i]


def load_catalog_view(sessions: sessionmaker[Session]) -> CatalogView:
    """Every product that has an embedding, read from the database."""
    facts: list[ItemFacts] = []
    vectors: list[npt.NDArray[np.float32]] = []
    with sessions() as session:
        rows = session.execute(select(Product, ProductEmbedding).join(ProductEmbedding).order_by(Product.pk))
        for product, embedding in rows:
            facts.append(facts_of(product))
            vectors.append(np.frombuffer(embedding.vector, dtype=np.float32))
    dim = len(vectors[0]) if vectors else 1
    return CatalogView(facts, np.stack(vectors) if vectors else np.zeros((0, dim), dtype=np.float32))


def facts_of(product: Product) -> ItemFacts:
    return ItemFacts(
        pk=product.pk,
        product_id=product.product_id,
        category=product.category,
        colors=tuple(product.colors),
        price=float(product.price),
        brand=product.brand,
        pattern=product.pattern,
        stock=dict(product.stock),
        title=f"{product.title_en}. {product.description_en}",
    )
