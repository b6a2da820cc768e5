"""Turning a garment photo into a vector, so similar garments sit close together in the index.

`Embedder` crops the photo to the garment (its mask's box plus a margin), pads it to a square with the colour
around the garment so its shape is kept, resizes to the backbone's input, normalises with ImageNet's mean and
std and runs the exported backbone (see `stylelens.training.export`). Vectors are L2-normalised float32, so
cosine similarity is a dot product.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from scipy import ndimage

from stylelens.errors import NotReady
from stylelens.vision.foreground import mask_box
from stylelens.vision.model import PREPARE_HINT, OnnxModel

Float32Array = NDArray[np.float32]
Mask = NDArray[np.bool_]

MARGIN: Final[float] = 0.08  # around the garment box, on each side, as a fraction of its width/height
BATCH_SIZE: Final[int] = 16
BACKDROP: Final[int] = 243  # grey level that replaces the background around a garment (a packshot's studio)
GROW: Final[int] = 2  # pixels the mask grows before the background is replaced (keeps the garment's edge)
_EPS: Final[float] = 1e-12


class Embedder(OnnxModel[Float32Array, tuple[Float32Array, Float32Array]]):
    """The garment embedder: photos in, L2-normalised vectors (and ImageNet logits) out."""

    def __init__(self, models_dir: Path, name: str = "mobilenet_v2", threads: int = 2) -> None:
        super().__init__(Path(models_dir) / name, threads)
        self.name = name
        self._manifest: dict[str, Any] | None = None
        self._onnx: Any = None

    @property
    def manifest(self) -> dict[str, Any]:
        """The model's model.json; NotReady when the model has not been prepared."""
        if self._manifest is None:
            (path,) = self.require("model.json")
            try:
                self._manifest = dict(json.loads(path.read_text()))
            except (OSError, ValueError) as exc:
                raise NotReady(f"{path} is unreadable ({exc}): {PREPARE_HINT}.") from exc
        return self._manifest

    @property
    def dim(self) -> int:
        """Length of the vectors this embedder returns."""
        return int(self.manifest["embedding_dim"])

    @property
    def input_size(self) -> int:
        """Side of the square image the backbone reads."""
        return int(self.manifest["input_size"])

    def preprocess(self, img: Image.Image, mask: Mask | None = None) -> Float32Array:
        """The garment cut out, squared, resized and normalised: float32 [3, size, size]."""
        rgb = img if img.mode == "RGB" else img.convert("RGB")
        square = _garment_square(rgb, mask, self.input_size)
        mean = np.asarray(self.manifest["mean"], dtype=np.float32)
        std = np.asarray(self.manifest["std"], dtype=np.float32)
        scaled = np.asarray(square, dtype=np.float32) / 255.0
        return np.ascontiguousarray(((scaled - mean) / std).transpose(2, 0, 1), dtype=np.float32)

    def embed(self, images: list[Image.Image], masks: list[Mask | None] | None = None) -> Float32Array:
        """One L2-normalised float32 vector per photo, shape (n, dim)."""
        return self.embed_with_logits(images, masks)[0]

    def embed_with_logits(
        self, images: Sequence[Image.Image], masks: Sequence[Mask | None] | None = None
    ) -> tuple[Float32Array, Float32Array]:
        """Normalised vectors (n, dim) and the backbone's ImageNet logits (n, classes) for each photo."""
        masks = masks if masks is not None else [None] * len(images)
        if len(masks) != len(images):
            raise ValueError(f"{len(images)} images but {len(masks)} masks")
        self.load()
        if not images:
            return np.zeros((0, self.dim), np.float32), np.zeros((0, self._classes()), np.float32)
        vectors, logits = [], []
        for start in range(0, len(images), BATCH_SIZE):
            pairs = zip(images[start : start + BATCH_SIZE], masks[start : start + BATCH_SIZE], strict=True)
            batch = np.stack([self.preprocess(img, mask) for img, mask in pairs])
            raw, classes = self.predict(batch)
            vectors.append(raw / np.maximum(np.linalg.norm(raw, axis=1, keepdims=True), _EPS))
            logits.append(classes)
        return np.concatenate(vectors).astype(np.float32), np.concatenate(logits).astype(np.float32)

    def _classes(self) -> int:
        return int(self.manifest.get("num_classes", 0))

    def _load(self) -> None:
        onnx_path, _ = self.require("model.onnx", "model.json")
        self._manifest = None  # re-read: the files may have been prepared since the last look
        manifest = self.manifest
        if int(manifest.get("embedding_dim", 0)) <= 0 or int(manifest.get("input_size", 0)) <= 0:
            raise NotReady(f"{self.model_dir / 'model.json'} lacks the model's sizes: {PREPARE_HINT}.")
        expected = manifest.get("sha256")
        if expected and expected != _sha256(onnx_path):
            raise NotReady(f"{onnx_path} does not match its model.json: {PREPARE_HINT}.")
        self._onnx = self._session(onnx_path)

    def _predict(self, inputs: Float32Array) -> tuple[Float32Array, Float32Array]:
        embedding, logits = self._onnx.run(["embedding", "logits"], {"image": inputs})
        return np.asarray(embedding, np.float32), np.asarray(logits, np.float32)

    def _warm_up(self) -> None:
        size = self.input_size
        self._predict(np.zeros((1, 3, size, size), dtype=np.float32))


def _garment_square(rgb: Image.Image, mask: Mask | None, size: int) -> Image.Image:
    """The garment box plus margin, centred in a size x size square padded with the surrounding colour."""
    width, height = rgb.size
    if mask is not None and mask.shape != (height, width):
        raise ValueError(f"mask {mask.shape} does not match image {height}x{width}")
    x, y, w, h = mask_box(mask) if mask is not None and mask.any() else (0, 0, width, height)
    if mask is not None and mask.any() and not mask.all():
        rgb = _masked(rgb, mask, (x, y, w, h))
    side = max(w * (1 + 2 * MARGIN), h * (1 + 2 * MARGIN), 1.0)
    left, top = x + w / 2 - side / 2, y + h / 2 - side / 2
    crop = (max(left, 0.0), max(top, 0.0), min(left + side, width), min(top + side, height))
    scale = size / side
    target = (max(1, round((crop[2] - crop[0]) * scale)), max(1, round((crop[3] - crop[1]) * scale)))
    target = (min(target[0], size), min(target[1], size))
    region = rgb.resize(target, Image.Resampling.BILINEAR, box=crop, reducing_gap=3.0)
    canvas = Image.new("RGB", (size, size), _surrounding_colour(region))
    offset = (
        min(round((crop[0] - left) * scale), size - target[0]),
        min(round((crop[1] - top) * scale), size - target[1]),
    )
    canvas.paste(region, offset)
    return canvas


def _masked(rgb: Image.Image, mask: Mask, box: tuple[int, int, int, int]) -> Image.Image:
    """The photo with everything outside the (slightly grown) garment mask set to a plain studio white.

    Only the garment box plus margin is touched; a shopper's busy background then reads like a packshot's.
    """
    x, y, w, h = box
    pad = max(2, round(MARGIN * max(w, h)))
    x0, y0 = max(0, x - pad), max(0, y - pad)
    x1, y1 = min(rgb.width, x + w + pad), min(rgb.height, y + h + pad)
    part = np.asarray(rgb.crop((x0, y0, x1, y1)))
    keep = ndimage.binary_dilation(mask[y0:y1, x0:x1], iterations=GROW)
    out = rgb.copy()
    out.paste(Image.fromarray(np.where(keep[..., None], part, np.uint8(BACKDROP)).astype(np.uint8)), (x0, y0))
    return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _surrounding_colour(region: Image.Image) -> tuple[int, int, int]:
    """Median colour of the region's edge: the background of a packshot, a neutral pad elsewhere."""
    pixels = np.asarray(region)
    edge = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    r, g, b = (int(v) for v in np.median(edge, axis=0))
    return r, g, b
