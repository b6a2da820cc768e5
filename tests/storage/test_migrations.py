"""The Alembic migrations build exactly the schema the models describe (the same migrations run on PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from stylelens.storage.db import make_engine, upgrade
from stylelens.storage.registry import metadata


def test_migrations_match_models_and_are_repeatable(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'catalog.db'}")
    upgrade(engine)
    upgrade(engine)  # a second run is a no-op
    assert {"products", "product_embeddings", "alembic_version"} <= set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    assert diff == []
