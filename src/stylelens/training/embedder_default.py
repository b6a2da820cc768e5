"""The embedder head committed with the code (`models/embedder/`), made the serving default by `models prepare`.

`prepare_embedder_head` registers the committed head in the model registry when that exact file is not there
yet, activates it unless an operator chose another version (a head trained here stays active), and trains
the category and pattern heads on its vectors, so a fresh clone serves the fine-tuned embedder.
"""

from __future__ import annotations

import json
import logging
from contextlib import suppress
from pathlib import Path
from typing import Final

from stylelens.errors import NotReady
from stylelens.training.registry import ModelRegistry, ModelVersion, sha256_file

log = logging.getLogger(__name__)

DEFAULT_HEAD: Final[Path] = Path(__file__).resolve().parents[3] / "models" / "embedder"
SOURCE: Final[str] = "committed default"


def register_default_head(registry: ModelRegistry, folder: Path = DEFAULT_HEAD) -> ModelVersion | None:
    """The registered version of the committed head (registered now if new); None when there is none."""
    onnx_path, head_json, card_json = folder / "model.onnx", folder / "head.json", folder / "card.json"
    if not (onnx_path.is_file() and head_json.is_file() and card_json.is_file()):
        return None
    digest = sha256_file(onnx_path)
    known = next((v for v in registry.versions("embedder") if v.meta.get("onnx_sha256") == digest), None)
    if known is not None:
        return known
    card = {**json.loads(card_json.read_text()), "source": SOURCE}
    metrics = json.loads((folder / "metrics.json").read_text()) if (folder / "metrics.json").is_file() else {}
    version = registry.register("embedder", onnx_path, card, metrics, files=[head_json])
    log.info("registered the committed embedder head as %s", version)
    return registry.get("embedder", version)


def prepare_embedder_head(models_dir: Path, registry_dir: Path | None = None, folder: Path = DEFAULT_HEAD) -> None:
    """Register and (unless another version was chosen) activate the committed head; train its heads."""
    from stylelens.vision.embedder import Embedder
    from stylelens.vision.head_training import heads_current, train_heads

    registry = ModelRegistry(registry_dir or models_dir / "registry")
    default = register_default_head(registry, folder)
    active = registry.active("embedder")
    chosen = active is not None and active.meta.get("card", {}).get("source") != SOURCE  # by an operator
    if default is not None and not chosen and (active is None or active.version != default.version):
        active = registry.activate("embedder", default.version)
    if active is None:
        return
    embedder = Embedder(models_dir, "mobilenet_v2", threads=2, projection=active.path)
    if not heads_current(models_dir, embedder.identity):
        with suppress(NotReady):  # without Fashion-MNIST here the service runs without category heads
            train_heads(models_dir, embedder.identity, embedder=embedder)
