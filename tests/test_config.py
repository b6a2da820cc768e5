"""Settings come from STYLELENS_ environment variables, nested with __, with embedded defaults."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from stylelens.config import Settings


def test_defaults_are_embedded() -> None:
    settings = Settings()
    assert settings.storage.resolved_database_url().startswith("sqlite:///")
    assert settings.public_url == "http://127.0.0.1:8000"


def test_nested_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STYLELENS_API__PORT", "9100")
    monkeypatch.setenv("STYLELENS_VISION__THREADS", "1")
    monkeypatch.setenv("STYLELENS_STORAGE__DATA_DIR", "/srv/stylelens")
    settings = Settings()
    assert settings.api.port == 9100
    assert settings.vision.threads == 1
    assert str(settings.models_dir) == "/srv/stylelens/models"


def test_open_cors_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STYLELENS_API__CORS_ORIGINS", '["*"]')
    with pytest.raises(ValidationError, match="CORS"):
        Settings()
