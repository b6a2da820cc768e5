"""The garment segmenter committed with the code (`models/segmenter/`), made the serving default by `models prepare`.

`prepare_segmenter` registers the committed segmenter in the model registry when that exact file is not there
yet and activates it unless an operator chose another version (a segmenter trained and activated here stays
active), so a fresh clone cuts garments out of busy backgrounds with it (`vision.segmenter.foreground_mask`).
Torch-free: it only copies files.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Final

from stylelens.training.registry import ModelRegistry, ModelVersion, sha256_file
from stylelens.vision.segmenter import CONFIG_FILE, KIND

log = logging.getLogger(__name__)

DEFAULT_SEGMENTER: Final[Path] = Path(__file__).resolve().parents[3] / "models" / "segmenter"
SOURCE: Final[str] = "committed default"


def register_default_segmenter(registry: ModelRegistry, folder: Path = DEFAULT_SEGMENTER) -> ModelVersion | None:
    """The registered version of the committed segmenter (registered now if new); None when there is none."""
    onnx_path, config, card_json = folder / "model.onnx", folder / CONFIG_FILE, folder / "card.json"
    if not (onnx_path.is_file() and config.is_file() and card_json.is_file()):
        return None
    digest = sha256_file(onnx_path)
    known = next((v for v in registry.versions(KIND) if v.meta.get("onnx_sha256") == digest), None)
    if known is not None:
        return known
    card = {**json.loads(card_json.read_text()), "source": SOURCE}
    metrics = json.loads((folder / "metrics.json").read_text()) if (folder / "metrics.json").is_file() else {}
    version = registry.register(KIND, onnx_path, card, metrics, files=[config])
    log.info("registered the committed garment segmenter as %s", version)
    return registry.get(KIND, version)


def prepare_segmenter(models_dir: Path, registry_dir: Path | None = None, folder: Path = DEFAULT_SEGMENTER) -> None:
    """Register and (unless an operator activated another version) activate the committed segmenter."""
    registry = ModelRegistry(registry_dir or models_dir / "registry")
    default = register_default_segmenter(registry, folder)
    active = registry.active(KIND)
    chosen = active is not None and active.meta.get("card", {}).get("source") != SOURCE  # by an operator
    if default is not None and not chosen and (active is None or active.version != default.version):
        registry.activate(KIND, default.version)
