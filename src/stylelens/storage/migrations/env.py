"""Alembic environment: runs on the connection handed over by stylelens.storage.db.upgrade."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from stylelens.storage.registry import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # `alembic` command line: use the configured URL
    from stylelens.config import get_settings

    connection = create_engine(get_settings().storage.resolved_database_url()).connect()

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
