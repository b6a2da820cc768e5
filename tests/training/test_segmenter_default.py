"""The committed garment segmenter: registered and activated by `models prepare`, an operator's choice kept."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from stylelens.training.registry import ModelRegistry
from stylelens.training.segmenter_default import DEFAULT_SEGMENTER, SOURCE, prepare_segmenter
from stylelens.vision.segmenter import active_segmenter

pytestmark = pytest.mark.skipif(not (DEFAULT_SEGMENTER / "model.onnx").is_file(), reason="no committed segmenter")


def test_a_fresh_models_folder_serves_the_committed_segmenter(tmp_path: Path) -> None:
    assert active_segmenter(tmp_path) is None
    prepare_segmenter(tmp_path)
    prepare_segmenter(tmp_path)  # a second prepare registers nothing new
    registry = ModelRegistry(tmp_path / "registry")
    assert [v.version for v in registry.versions("segmenter")] == ["v1"]
    active = registry.active("segmenter")
    assert active is not None and active.meta["card"]["source"] == SOURCE
    assert active.meta["metrics"]["test_miou"] >= 0.9
    served = active_segmenter(tmp_path)
    assert (
        served is not None
        and served.side == json.loads((DEFAULT_SEGMENTER / "segmenter.json").read_text())["input_size"]
    )


def test_a_segmenter_an_operator_activated_stays_active(tmp_path: Path) -> None:
    prepare_segmenter(tmp_path)
    registry = ModelRegistry(tmp_path / "registry")
    retrained = shutil.copy(DEFAULT_SEGMENTER / "model.onnx", tmp_path / "model.onnx")
    with open(retrained, "ab") as handle:
        handle.write(b"\0")  # another file (the registry tells versions apart by checksum)
    card = {**json.loads((DEFAULT_SEGMENTER / "card.json").read_text()), "source": "trained here"}
    version = registry.register("segmenter", retrained, card, {}, files=[DEFAULT_SEGMENTER / "segmenter.json"])
    registry.activate("segmenter", version)
    prepare_segmenter(tmp_path)
    assert registry.active("segmenter").version == version == "v2"  # type: ignore[union-attr]
