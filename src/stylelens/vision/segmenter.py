"""The trained garment segmenter at serving time: which pixels of a photo are garment (ONNX Runtime, no torch).

The active "segmenter" version of the model registry (`<models_dir>/registry/segmenter/`) is loaded once;
`segmenter.json` beside its model.onnx says the input side and the threshold. A photo is resized to a square
of that side (RGB, 0..1), the network gives one logit a pixel, the logits are resized back to the photo and
thresholded. Example::

    mask = GarmentSegmenter(settings.models_dir).mask(photo)   # bool [H, W], True = garment

`foreground_mask` is the serving foreground step with the segmenter in it: a plain background is still read
by the cheap colour model (`foreground.plain_background_mask`); a busy one (flat-lay on a bed, a street) goes
to the segmenter instead of GrabCut, which stays the fallback when no segmenter is active or its mask is
implausible.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from stylelens.errors import NotReady
from stylelens.vision.foreground import MAX_FRACTION, MIN_FRACTION, Reduced, garment_mask, plain_background_mask

BoolArray = NDArray[np.bool_]
KIND: Final[str] = "segmenter"
CONFIG_FILE: Final[str] = "segmenter.json"
DEFAULT_SIDE: Final[int] = 160


def to_input(photo: Image.Image | NDArray[np.uint8], side: int) -> NDArray[np.float32]:
    """The network's input for one photo: float32 [1, 3, side, side], RGB scaled to 0..1."""
    image = photo if isinstance(photo, Image.Image) else Image.fromarray(np.asarray(photo))
    small = image.convert("RGB").resize((side, side), Image.Resampling.BILINEAR)
    return np.ascontiguousarray(np.asarray(small, np.float32).transpose(2, 0, 1)[None] / np.float32(255))


def logits_to_size(logits: NDArray[np.float32], width: int, height: int) -> NDArray[np.float32]:
    """One [side, side] logit map resized (bilinear) to the photo's size."""
    return np.asarray(
        Image.fromarray(logits.astype(np.float32), "F").resize((width, height), Image.Resampling.BILINEAR)
    )


class GarmentSegmenter:
    """The registry's active garment segmenter; `mask` says which pixels of a photo are garment."""

    def __init__(
        self, models_dir: Path, threads: int = 1, onnx_path: Path | None = None, registry_dir: Path | None = None
    ) -> None:
        """The active version under `registry_dir` (default `models_dir/registry`), or the given ONNX file."""
        self.onnx_path = onnx_path or _active_onnx(registry_dir or Path(models_dir) / "registry")
        config = _config(self.onnx_path.parent)
        self.side = int(config.get("input_size", DEFAULT_SIDE))
        self.threshold = float(config.get("threshold_logit", 0.0))
        self.threads = threads
        self._session: Any = None
        self._lock = threading.Lock()

    def load(self) -> None:
        """Open the ONNX session once (thread-safe); later calls do nothing."""
        with self._lock:
            if self._session is None:
                import onnxruntime as ort

                options = ort.SessionOptions()
                options.intra_op_num_threads = self.threads
                options.inter_op_num_threads = 1
                self._session = ort.InferenceSession(str(self.onnx_path), options, providers=["CPUExecutionProvider"])

    def logits(self, photo: Image.Image | NDArray[np.uint8]) -> NDArray[np.float32]:
        """Garment logits at the photo's size (float32 [H, W]; > threshold means garment)."""
        self.load()
        image = photo if isinstance(photo, Image.Image) else Image.fromarray(np.asarray(photo))
        (out,) = self._session.run(["logits"], {"image": to_input(image, self.side)})
        return logits_to_size(out[0, 0], image.width, image.height)

    def mask(self, photo: Image.Image | NDArray[np.uint8]) -> BoolArray:
        """Which pixels of the photo are garment: bool [H, W]."""
        return np.asarray(self.logits(photo) > self.threshold)


def active_segmenter(models_dir: Path, threads: int = 1, registry_dir: Path | None = None) -> GarmentSegmenter | None:
    """The registry's active segmenter, or None when no version is active (serving then keeps GrabCut)."""
    try:
        return GarmentSegmenter(models_dir, threads, registry_dir=registry_dir)
    except NotReady:
        return None


def foreground_mask(
    rgb: NDArray[np.uint8], segmenter: GarmentSegmenter | None, reduced: Reduced | None = None
) -> BoolArray:
    """The garment's mask: colour model on a plain background, else the segmenter, else GrabCut."""
    plain = plain_background_mask(rgb, reduced)
    if plain is not None:
        return plain
    if segmenter is not None:
        mask = segmenter.mask(rgb)
        if MIN_FRACTION <= float(mask.mean()) <= MAX_FRACTION:
            return mask
    return garment_mask(rgb, reduced)


def _active_onnx(registry: Path) -> Path:
    pointer = registry / KIND / "active.json"
    try:
        version = json.loads(pointer.read_text())["version"]
    except (OSError, ValueError, KeyError):
        raise NotReady(f"no active {KIND} in {registry}; run `stylelens train segmenter`") from None
    path = registry / KIND / str(version) / "model.onnx"
    if not path.is_file():
        raise NotReady(f"{path} is missing")
    return path


def _config(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / CONFIG_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
