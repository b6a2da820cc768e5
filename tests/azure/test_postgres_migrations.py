"""PostgreSQL runs the same Alembic migrations as SQLite and ends with exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from stylelens.storage.db import make_engine, upgrade
from stylelens.storage.registry import metadata


def test_migrations_build_the_models_schema_on_postgresql(database_url: str) -> None:
    engine = make_engine(database_url.replace("+psycopg", ""))  # the plain URL an operator would paste
    try:
        upgrade(engine)
        upgrade(engine)  # a second run is a no-op
        assert {"products", "product_embeddings", "alembic_version"} <= set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), metadata)
        assert diff == []
    finally:
        engine.dispose()
