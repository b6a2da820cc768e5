"""Text candidates: the shopper's words against every item's title and description (MiniLM, cosine)."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import numpy as np

from stylelens.recommend.catalog_view import CatalogView, Matrix
from stylelens.recommend.text import TextEncoder


class TextMatcher:
    """Embeds the catalog's texts once per catalog version (cached on disk), then scores queries against them."""

    def __init__(self, encoder: TextEncoder, cache_dir: Path | None = None) -> None:
        self.encoder = encoder
        self.cache_dir = cache_dir
        self._lock = threading.Lock()

    def scores(self, view: CatalogView, text: str, n: int) -> dict[int, float]:
        """The n items whose texts are closest to the query, with their cosine."""
        vectors = self.catalog_vectors(view)
        sims = vectors @ self.encoder.encode([text])[0]
        top = np.argsort(-sims)[:n]
        return {view.facts[i].pk: float(sims[i]) for i in top}

    def catalog_vectors(self, view: CatalogView) -> Matrix:
        with self._lock:
            if view.text_vectors is None:
                view.text_vectors = self._cached(view)
            return view.text_vectors

    def _cached(self, view: CatalogView) -> Matrix:
        texts = [f.title for f in view.facts]
        key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
        path = self.cache_dir / f"text-vectors-{key}.npy" if self.cache_dir else None
        if path is not None and path.is_file():
            cached: Matrix = np.load(path)
            return cached
        vectors = self.encoder.encode(texts)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, vectors)
        return vectors
