"""Shared fixtures: the real models (prepared once, cached under var/models) and settings in a temporary folder."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from stylelens.config import Settings, StorageSettings, VisionSettings

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def models_dir() -> Path:
    """The ONNX models exported from the packaged backbones (`make test` prepares them first)."""
    from stylelens.training.export import prepare_models

    path = Path(os.environ.get("STYLELENS_TEST_MODELS_DIR", REPO / "var" / "models"))
    prepare_models(path)
    return path


@pytest.fixture(scope="session")
def make_settings(models_dir: Path) -> Callable[[Path], Settings]:
    """Embedded-default settings with everything under a given folder, and the shared models."""

    def make(data_dir: Path) -> Settings:
        return Settings(storage=StorageSettings(data_dir=data_dir), vision=VisionSettings(models_dir=models_dir))

    return make
