"""The API under test: the real app over the full demo catalog, built once per test session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from stylelens.api.app import create_app
from stylelens.catalog.demo_feed import demo_catalog_items
from stylelens.config import Settings
from stylelens.services import Services

DEMO_SEED = 7
DEMO_SIZE = 2400


@pytest.fixture(scope="session")
def demo_services(tmp_path_factory: pytest.TempPathFactory, make_settings: Callable[[Path], Settings]) -> Services:
    settings = make_settings(tmp_path_factory.mktemp("demo"))
    services = Services(settings)
    services.ingestor.ingest(demo_catalog_items(DEMO_SEED, DEMO_SIZE, settings.catalog.shop_url))
    return services


@pytest.fixture(scope="session")
def client(demo_services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(demo_services.settings, demo_services)) as test_client:
        yield test_client
