"""The silhouette classifier: a garment's category from its outline and folds alone, run with ONNX Runtime.

It reads the descriptor of `vision.shape.shape_features` (coverage and shading on a 16x16 grid of the
garment's square box, plus the box's aspect and fill) with a small convolutional network trained on garments
as the pipeline itself cuts them out of shopper-style photos (`training/silhouette.py`). Colour and print say
little about a garment's category; the outline says most of it, and a network sees outline parts (sleeves,
collars, a hem) where a linear head only weighs cells. `CategoryModel` joins its probabilities with the
category head's.

The committed model lives in the repository's `models/silhouette/`; `stylelens models prepare` copies it into
the models folder, where the service reads it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from stylelens.errors import NotReady
from stylelens.vision.heads import softmax
from stylelens.vision.model import PREPARE_HINT, OnnxModel
from stylelens.vision.shape import SHAPE_FEATURES

FloatArray = NDArray[np.float32]
FOLDER: Final[str] = "silhouette"
CONFIG_FILE: Final[str] = "silhouette.json"
DEFAULT_SILHOUETTE: Final[Path] = Path(__file__).resolve().parents[3] / "models" / FOLDER


class SilhouetteClassifier(OnnxModel[FloatArray, FloatArray]):
    """Category probabilities (n, classes) from silhouette descriptors (n, SHAPE_FEATURES)."""

    def __init__(self, model_dir: Path, threads: int = 1) -> None:
        super().__init__(model_dir, threads)
        self._config: dict[str, Any] | None = None

    @property
    def config(self) -> dict[str, Any]:
        if self._config is None:
            (path,) = self.require(CONFIG_FILE)
            self._config = json.loads(path.read_text())
        return self._config

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(self.config["classes"])

    def probabilities(self, shapes: FloatArray) -> FloatArray:
        """Calibrated class probabilities (temperature from the training run's validation photos)."""
        logits = self.predict(np.ascontiguousarray(shapes, dtype=np.float32).reshape(-1, SHAPE_FEATURES))
        return softmax(logits / float(self.config.get("temperature", 1.0)))

    def _load(self) -> None:
        from stylelens.training.registry import sha256_file  # torch-free

        onnx_path, _ = self.require("model.onnx", CONFIG_FILE)
        self._config = None
        if int(self.config.get("input_dim", 0)) != SHAPE_FEATURES:
            raise NotReady(f"{self.model_dir} reads {self.config.get('input_dim')} features, not {SHAPE_FEATURES}")
        if self.config.get("sha256") != sha256_file(onnx_path):
            raise NotReady(f"{onnx_path} does not match its {CONFIG_FILE}: {PREPARE_HINT}.")
        self._onnx = self._session(onnx_path)

    def _predict(self, inputs: FloatArray) -> FloatArray:
        (logits,) = self._onnx.run(["logits"], {"shape": inputs})
        return np.asarray(logits, np.float32)

    def _warm_up(self) -> None:
        self._predict(np.zeros((1, SHAPE_FEATURES), np.float32))


def prepare_silhouette(models_dir: Path, folder: Path = DEFAULT_SILHOUETTE) -> Path | None:
    """Copy the committed silhouette classifier into the models folder when it is new or changed there."""
    source = folder / CONFIG_FILE
    if not source.is_file() or not (folder / "model.onnx").is_file():
        return None
    target = Path(models_dir) / FOLDER
    if (target / CONFIG_FILE).is_file() and (target / CONFIG_FILE).read_bytes() == source.read_bytes():
        return target
    scratch = target.with_name(FOLDER + ".new")
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(folder, scratch)
    shutil.rmtree(target, ignore_errors=True)
    scratch.rename(target)
    return target


def load_silhouette(models_dir: Path, threads: int = 1) -> SilhouetteClassifier | None:
    """The prepared silhouette classifier of a models folder, or None when there is none."""
    folder = Path(models_dir) / FOLDER
    return SilhouetteClassifier(folder, threads) if (folder / CONFIG_FILE).is_file() else None
