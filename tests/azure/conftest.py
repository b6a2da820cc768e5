"""Fixtures of the Azure-like backend set: Azurite and PostgreSQL + pgvector, real servers started once per session.

Each test gets its own blob container, queue and database, so tests cannot see each other's data.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from cloud_servers import Azurite, Postgres, start_azurite, start_postgres


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    server = start_azurite(tmp_path_factory.mktemp("azurite"))
    print(f"\nAzurite listening in {server.started_in_s:.2f} s")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    # Not under pytest's tmp folder: that one is private to root, and the server runs as another user.
    workdir = Path(tempfile.mkdtemp(prefix="stylelens-pg-"))
    server = start_postgres(workdir)
    print(f"\nPostgreSQL + pgvector initialised and listening in {server.started_in_s:.2f} s")
    yield server
    server.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def database_url(postgres: Postgres) -> str:
    """A fresh, empty database on the shared server."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres.url().replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return postgres.url(name)


@pytest.fixture
def unique_name() -> str:
    """A container or queue name no other test uses (lower-case letters and digits, as Azure wants)."""
    return f"t{uuid.uuid4().hex[:20]}"
