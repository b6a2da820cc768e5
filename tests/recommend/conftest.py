"""Recommendation tests: a small synthetic catalog in memory, and a small real demo catalog in a database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from stylelens.catalog.demo_feed import demo_catalog_items
from stylelens.config import Settings
from stylelens.recommend.catalog_view import CatalogView, ItemFacts
from stylelens.services import Services

COLORS = ("navy", "red", "black", "white", "green")
CATEGORIES = ("shirt", "dress", "trousers", "sneakers")


def synthetic_view(n: int = 240, seed: int = 3, out_of_stock_in_m: float = 0.4) -> CatalogView:
    """Items in visual clusters with colours, kinds, prices and stock per size; many sold out in M."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(8, 64))
    facts, vectors = [], []
    for i in range(n):
        cluster = i % 8
        vectors.append(centres[cluster] + 0.35 * rng.normal(size=64))
        stock = {size: int(rng.integers(1, 9)) for size in ("S", "M", "L")}
        if rng.random() < out_of_stock_in_m:
            stock["M"] = 0
        facts.append(
            ItemFacts(
                pk=i + 1,
                product_id=f"P{i + 1:04d}",
                category=CATEGORIES[cluster % 4],
                colors=(COLORS[int(rng.integers(5))],),
                price=float(rng.uniform(15, 150)),
                brand="Nordvik" if i % 3 else "Okapi Studio",
                stock=stock,
            )
        )
    return CatalogView(facts, np.asarray(vectors, dtype=np.float32))


@pytest.fixture
def view() -> CatalogView:
    return synthetic_view()


@pytest.fixture(scope="session")
def text_model(models_dir: Path) -> Path:
    """MiniLM exported to ONNX (`stylelens models prepare` does it; cached)."""
    from stylelens.training.export_text import prepare_text_model

    return prepare_text_model(models_dir)


@pytest.fixture(scope="session")
def small_services(
    tmp_path_factory: pytest.TempPathFactory, make_settings: Callable[[Path], Settings], text_model: Path
) -> Services:
    """The first 120 demo products in a real SQLite database and index, with the real models."""
    settings = make_settings(tmp_path_factory.mktemp("recommend"))
    services = Services(settings)
    services.ingestor.ingest(demo_catalog_items(7, 120, settings.catalog.shop_url))
    return services
