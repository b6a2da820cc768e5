"""Turning a garment photo into a vector, so similar garments sit close together in the index.

`Embedder` crops the photo to the garment (its mask's box plus a margin), pads it to a square with the colour
around the garment so its shape is kept, resizes to the backbone's input, normalises with ImageNet's mean and
std and runs the exported backbone (see `stylelens.training.export`). Vectors are L2-normalised float32, so
cosine similarity is a dot product.

With a `projection` (a folder holding a trained head's model.onnx and head.json, see
`stylelens.training.embedder`), the backbone's normalised vector goes through that head, which was trained so
a shopper's photo lands next to its catalog packshot; the vectors then have the head's dimension, and
`identity` names the head, so an index built by another embedder is recognised.

Photos go through the backbone 16 at a time. One batch (a shopper's photo and its garments) runs on a session
with all the inference threads, for the shortest wait; more photos at once (a catalog sync, an evaluation)
are shared out, batch by batch, to as many single-threaded sessions as there are inference threads, each on
its own thread, which do not wait on each other inside every layer: on this project's 2-core machine the
backbone alone went 1.14x, 1.02x and 1.18x as fast (medians of 9 rounds, three runs) at 0.89x, 0.99x and 0.87x
the CPU a photo (round to round both ways swing widely on a shared machine); the price is memory, about 400 MB
more resident for the two sessions (`benchmarks/backbone_sharing.py`), in the processes that embed many photos
at once only: the sessions are made on first need. The vectors are the same either way: a photo's numbers
depend neither on its batch-mates nor on the threads.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final, TypeVar

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from stylelens.errors import NotReady
from stylelens.vision.foreground import mask_box
from stylelens.vision.model import PREPARE_HINT, OnnxModel

Float32Array = NDArray[np.float32]
T = TypeVar("T")
R = TypeVar("R")
Mask = NDArray[np.bool_]

MARGIN: Final[float] = 0.08  # around the garment box, on each side, as a fraction of its width/height
BATCH_SIZE: Final[int] = 16
BACKDROP: Final[int] = 243  # grey level that replaces the background around a garment (a packshot's studio)
GROW: Final[int] = 2  # pixels the mask grows before the background is replaced (keeps the garment's edge)
_EPS: Final[float] = 1e-12
_CROSS: Final = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))  # scipy.ndimage's default structure
HEAD_HINT: Final[str] = "roll back (`stylelens models rollback embedder`) or run `stylelens models prepare`"


class Embedder(OnnxModel[Float32Array, tuple[Float32Array, Float32Array]]):
    """The garment embedder: photos in, L2-normalised vectors (and ImageNet logits) out."""

    def __init__(
        self, models_dir: Path, name: str = "mobilenet_v2", threads: int = 2, *, projection: Path | None = None
    ) -> None:
        super().__init__(Path(models_dir) / name, threads)
        self.name = name
        self.projection = Path(projection) if projection is not None else None
        self._manifest: dict[str, Any] | None = None
        self._head_manifest: dict[str, Any] | None = None
        self._onnx: Any = None
        self._head: Any = None
        self._solo: list[Any] = []  # single-threaded sessions for many batches at once, made on first need
        self._workers: ThreadPoolExecutor | None = None
        self._solo_lock = threading.Lock()

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
    def head_manifest(self) -> dict[str, Any] | None:
        """The projection head's head.json (None without a head); NotReady when it is unreadable."""
        if self.projection is None:
            return None
        if self._head_manifest is None:
            path = self.projection / "head.json"
            try:
                self._head_manifest = dict(json.loads(path.read_text()))
            except (OSError, ValueError) as exc:
                raise NotReady(f"{path} is unreadable ({exc}): {HEAD_HINT}.") from exc
        return self._head_manifest

    @property
    def dim(self) -> int:
        """Length of the vectors this embedder returns (the head's output when there is a head)."""
        head = self.head_manifest
        return int(head["embedding_dim"]) if head is not None else int(self.manifest["embedding_dim"])

    @property
    def identity(self) -> str:
        """Which embedder made a vector: the backbone's name, plus the head's checksum when there is a head.

        Vectors of different identities are not comparable; the index records the identity that built it.
        """
        head = self.head_manifest
        return self.name if head is None else f"{self.name}+head-{str(head['sha256'])[:12]}"

    @property
    def input_size(self) -> int:
        """Side of the square image the backbone reads."""
        return int(self.manifest["input_size"])

    def preprocess(self, img: Image.Image, mask: Mask | None = None) -> Float32Array:
        """The garment cut out, squared, resized and normalised: float32 [3, size, size]."""
        return np.asarray(self.preprocess_batch([img], [mask])[0], dtype=np.float32)

    def preprocess_batch(self, images: Sequence[Image.Image], masks: Sequence[Mask | None]) -> Float32Array:
        """`preprocess` of several photos at once, float32 [n, 3, size, size], with the same values.

        Each garment square is drawn straight into one uint8 array, then one table look-up per channel
        normalises and transposes the whole batch: a pixel value's normalised float is computed once, with the
        same float32 operations as ((value / 255) - mean) / std, so the numbers are those of a per-photo pass.
        """
        size = self.input_size
        if not images:
            return np.zeros((0, 3, size, size), np.float32)
        squares = np.empty((len(images), size, size, 3), np.uint8)
        for square, img, mask in zip(squares, images, masks, strict=True):
            _garment_square_into(square, img if img.mode == "RGB" else img.convert("RGB"), mask)
        table = self._normalise_table()
        planes = np.ascontiguousarray(squares.transpose(3, 0, 1, 2)).reshape(3, -1, size)  # one uint8 plane each
        out = np.empty((len(images), 3, size, size), np.float32)
        for channel in range(3):
            out[:, channel] = cv2.LUT(planes[channel], table[channel]).reshape(len(images), size, size)
        return out

    def _normalise_table(self) -> Float32Array:
        """(3, 256): each channel's normalised value of every uint8 level, ((v / 255) - mean) / std in float32."""
        mean = np.asarray(self.manifest["mean"], dtype=np.float32)
        std = np.asarray(self.manifest["std"], dtype=np.float32)
        scaled = np.arange(256, dtype=np.float32)[:, None] / 255.0
        return np.ascontiguousarray(((scaled - mean) / std).T, dtype=np.float32)

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
        starts = list(range(0, len(images), BATCH_SIZE))
        if len(starts) > 1 and self.threads > 1:
            done = self._share_out(starts, lambda session, start: self._embed_batch(session, images, masks, start))
        else:
            done = [self._embed_batch(self._onnx, images, masks, start) for start in starts]
        vectors, logits = zip(*done, strict=True)
        return np.concatenate(vectors).astype(np.float32), np.concatenate(logits).astype(np.float32)

    def predict_many(self, batches: Sequence[Float32Array]) -> list[tuple[Float32Array, Float32Array]]:
        """The backbone alone on preprocessed batches, shared out as `embed_with_logits` shares out many photos
        (one batch: the session with every thread); results in the order of `batches`."""
        self.load()
        if len(batches) <= 1 or self.threads <= 1:
            return [self._predict(batch) for batch in batches]
        return self._share_out(batches, _run)

    def _share_out(self, work: Sequence[T], run: Callable[[Any, T], R]) -> list[R]:
        """`run(session, item)` for every item, the n-th single-threaded session (on its own thread) taking every
        n-th item; results in the order of `work`."""
        sessions = self._solo_sessions()
        count = len(sessions)

        def share(worker: int) -> list[R]:
            return [run(sessions[worker], item) for item in work[worker::count]]

        assert self._workers is not None
        shares = list(self._workers.map(share, range(count)))
        return [shares[i % count][i // count] for i in range(len(work))]

    def _embed_batch(
        self, session: Any, images: Sequence[Image.Image], masks: Sequence[Mask | None], start: int
    ) -> tuple[Float32Array, Float32Array]:
        """Vectors and logits of the BATCH_SIZE photos from `start`, on `session`."""
        batch = self.preprocess_batch(images[start : start + BATCH_SIZE], masks[start : start + BATCH_SIZE])
        raw, classes = _run(session, batch)
        unit = (raw / np.maximum(np.linalg.norm(raw, axis=1, keepdims=True), _EPS)).astype(np.float32)
        return self._project(unit), classes

    def _solo_sessions(self) -> list[Any]:
        """One single-threaded backbone session per inference thread, and a thread for each (made once)."""
        with self._solo_lock:
            if not self._solo:
                path = self.model_dir / "model.onnx"
                size = self.input_size
                solo = [self._session(path, threads=1) for _ in range(self.threads)]
                for session in solo:
                    _run(session, np.zeros((1, 3, size, size), dtype=np.float32))  # warm up
                self._workers = ThreadPoolExecutor(len(solo), thread_name_prefix="embed")
                self._solo = solo
            return self._solo

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
        self._head = self._load_head(int(manifest["embedding_dim"])) if self.projection is not None else None

    def _load_head(self, backbone_dim: int) -> Any:
        """The projection head's session, after checking it reads this backbone and is the file head.json names."""
        assert self.projection is not None
        self._head_manifest = None
        head = self.head_manifest
        assert head is not None
        path = self.projection / "model.onnx"
        if head.get("backbone") != self.name or int(head.get("input_dim", 0)) != backbone_dim:
            raise NotReady(
                f"the embedder head in {self.projection} reads {head.get('backbone')} vectors of size "
                f"{head.get('input_dim')}, not {self.name}'s {backbone_dim}: {HEAD_HINT}."
            )
        if not path.is_file() or head.get("sha256") != _sha256(path):
            raise NotReady(f"{path} is missing or does not match its head.json: {HEAD_HINT}.")
        return self._session(path)

    def _project(self, unit: Float32Array) -> Float32Array:
        """The head applied to normalised backbone vectors (unchanged without a head)."""
        if self._head is None:
            return unit
        (out,) = self._head.run(["embedding"], {"features": unit})
        vectors = np.asarray(out, np.float32)
        return np.asarray(vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), _EPS), np.float32)

    def _predict(self, inputs: Float32Array) -> tuple[Float32Array, Float32Array]:
        return _run(self._onnx, inputs)

    def _warm_up(self) -> None:
        size = self.input_size
        self._predict(np.zeros((1, 3, size, size), dtype=np.float32))


def _run(session: Any, inputs: Float32Array) -> tuple[Float32Array, Float32Array]:
    """The backbone's embedding and logits for a preprocessed batch, on one of its sessions."""
    embedding, logits = session.run(["embedding", "logits"], {"image": inputs})
    return np.asarray(embedding, np.float32), np.asarray(logits, np.float32)


def _garment_square(rgb: Image.Image, mask: Mask | None, size: int) -> Image.Image:
    """The garment box plus margin, centred in a size x size square padded with the surrounding colour."""
    square = np.empty((size, size, 3), np.uint8)
    _garment_square_into(square, rgb, mask)
    return Image.fromarray(square)


def _garment_square_into(square: NDArray[np.uint8], rgb: Image.Image, mask: Mask | None) -> None:
    """`_garment_square` drawn into `square` (size x size x 3 uint8), with no canvas image in between."""
    size = square.shape[0]
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
    region = np.asarray(rgb.resize(target, Image.Resampling.BILINEAR, box=crop, reducing_gap=3.0))
    # One row filled, then copied down: numpy fills a whole square 3 bytes at a time, 30 times slower.
    square[0] = _surrounding_colour(region)
    square[1:] = square[0]
    ox = min(round((crop[0] - left) * scale), size - target[0])  # never negative: the crop starts at or after left
    oy = min(round((crop[1] - top) * scale), size - target[1])
    square[oy : oy + target[1], ox : ox + target[0]] = region


def _masked(rgb: Image.Image, mask: Mask, box: tuple[int, int, int, int]) -> Image.Image:
    """The photo with everything outside the (slightly grown) garment mask set to the plain studio grey BACKDROP.

    Only the garment box plus margin is touched; a shopper's busy background then reads like a packshot's.
    """
    x, y, w, h = box
    pad = max(2, round(MARGIN * max(w, h)))
    x0, y0 = max(0, x - pad), max(0, y - pad)
    x1, y1 = min(rgb.width, x + w + pad), min(rgb.height, y + h + pad)
    pixels = np.array(rgb)
    part = pixels[y0:y1, x0:x1]
    # The mask grown GROW times by the 4-neighbour cross (as scipy.ndimage's binary_dilation), with OpenCV.
    keep = cv2.dilate(np.ascontiguousarray(mask[y0:y1, x0:x1], dtype=np.uint8), _CROSS, iterations=GROW)
    # OpenCV paints the backdrop where the grown mask is off, in place: numpy's `part[keep == 0] = BACKDROP`
    # writes the same pixels 3 bytes at a time, about 30 times slower (1.1 ms on a 600-px packshot).
    cv2.copyTo(np.full_like(part, BACKDROP), (keep == 0).view(np.uint8), part)
    return Image.fromarray(pixels)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _surrounding_colour(region: Image.Image | NDArray[np.uint8]) -> tuple[int, int, int]:
    """Median colour of the region's edge: the background of a packshot, a neutral pad elsewhere."""
    pixels = np.asarray(region)
    edge = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    r, g, b = (int(v) for v in np.median(edge, axis=0))
    return r, g, b
