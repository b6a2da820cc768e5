"""The model registry: numbered versions with model cards, an active pointer, rollback, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stylelens.config import Settings, StorageSettings
from stylelens.errors import InvalidInput, NotFound
from stylelens.training.registry import ModelRegistry, UnknownModelVersion, active_model, sha256_file

CARD = {
    "intended_use": "Sort catalog pictures into ten garment classes.",
    "data": "Fashion-MNIST train (55k) / val (5k) / test (10k).",
    "limits": ["28x28 grey packshots only"],
    "command": "stylelens train classifier --dataset fashion-mnist",
}


def fake_model(folder: Path, content: bytes) -> Path:
    path = folder / f"model-{content.hex()}.onnx"
    path.write_bytes(content)
    return path


def test_register_writes_a_version_with_card_and_meta(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path / "registry")
    extra = tmp_path / "labels.json"
    extra.write_text('["a", "b"]')
    version = registry.register("classifier", fake_model(tmp_path, b"one"), CARD, {"test_acc": 0.9412}, [extra])
    assert version == "v1"
    folder = tmp_path / "registry" / "classifier" / "v1"
    assert sorted(p.name for p in folder.iterdir()) == ["card.md", "labels.json", "meta.json", "model.onnx"]
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["onnx_sha256"] == sha256_file(folder / "model.onnx") and meta["parent"] is None
    assert meta["metrics"] == {"test_acc": 0.9412} and meta["created"].endswith("+00:00")
    card = (folder / "card.md").read_text()
    for text in (
        "## Intended use",
        "## Data",
        "## Metrics",
        "| test_acc | 0.9412 |",
        "## Limits",
        "- 28x28 grey packshots only",
        "```sh\nstylelens train classifier --dataset fashion-mnist\n```",
    ):
        assert text in card
    assert registry.active("classifier") is None  # registered is not served until activated


def test_activate_and_roll_back(tmp_path: Path) -> None:
    settings = Settings(storage=StorageSettings(data_dir=tmp_path))
    registry = ModelRegistry(settings.registry_dir)
    assert active_model(settings, "classifier") is None
    v1 = registry.register("classifier", fake_model(tmp_path, b"one"), CARD, {"test_acc": 0.90}, activate=True)
    v2 = registry.register("classifier", fake_model(tmp_path, b"two"), CARD, {"test_acc": 0.94})
    assert (v1, v2) == ("v1", "v2") and registry.get("classifier", "v2").meta["parent"] == "v1"
    registry.activate("classifier", v2)
    served = active_model(settings, "classifier")
    assert served is not None and served.read_bytes() == b"two"
    assert registry.rollback("classifier").version == "v1"
    served = active_model(settings, "classifier")
    assert served is not None and served.read_bytes() == b"one"
    with pytest.raises(NotFound, match="no earlier active"):
        registry.rollback("classifier")
    assert [v.version for v in registry.versions("classifier")] == ["v1", "v2"]
    assert not [p for p in (settings.registry_dir / "classifier").iterdir() if p.name.startswith(".")]


def test_unknown_versions_and_kinds_are_clear_errors(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    registry.register("segmenter", fake_model(tmp_path, b"one"), CARD, {})
    with pytest.raises(UnknownModelVersion, match=r"no segmenter version 'v7'.*registered: v1"):
        registry.activate("segmenter", "v7")
    with pytest.raises(UnknownModelVersion):
        registry.get("segmenter", "../segmenter")
    with pytest.raises(InvalidInput, match="unknown model kind"):
        registry.versions("detector")
    with pytest.raises(InvalidInput, match="must say limits, command"):
        registry.register("segmenter", fake_model(tmp_path, b"x"), {"intended_use": "x", "data": "y"}, {})
    assert [v.version for v in registry.versions("segmenter")] == ["v1"]
