"""Logs and error messages never carry personal data: database errors hide the values of the row."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from stylelens.storage.db import make_engine


def test_a_database_error_message_holds_no_row_values(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as connection:
        connection.execute(text("CREATE TABLE people (email TEXT UNIQUE)"))
        connection.execute(text("INSERT INTO people VALUES (:e)"), {"e": "ada@example.org"})
        with pytest.raises(IntegrityError) as caught:
            connection.execute(text("INSERT INTO people VALUES (:e)"), {"e": "ada@example.org"})
    assert "ada@example.org" not in str(caught.value)
