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


def test_migrations_have_one_head() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from stylelens.storage.db import MIGRATIONS_DIR

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1  # a new migration must extend the head
