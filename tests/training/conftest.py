"""The backbone exported once per test session into a temporary folder (not the shared var/models cache)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "export: needs the backbone exported by the session fixture (slow)")


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """(folder holding <name>/model.onnx + model.json, seconds the export took), shared by the session."""
    pytest.importorskip("torch")
    pytest.importorskip("onnx")
    from stylelens.training.export import export_backbone

    out_dir = tmp_path_factory.mktemp("models")
    started = time.perf_counter()
    export_backbone("mobilenet_v2", out_dir)
    return out_dir, time.perf_counter() - started
