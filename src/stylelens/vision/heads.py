"""Small trained classifiers on top of the backbone: a softmax layer in plain numpy, saved as one .npz file.

Fitting (full-batch gradient descent with L2, then a temperature chosen on held-out data so scores are
calibrated) happens once when models are prepared; serving only loads the arrays and does one matrix product.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray

from stylelens.errors import NotReady
from stylelens.vision.model import PREPARE_HINT

FloatArray = NDArray[np.float32]
TEMPERATURES: Final = np.geomspace(0.25, 8.0, 41)


@dataclass(frozen=True)
class SoftmaxHead:
    """A calibrated linear classifier: standardised features -> class probabilities."""

    classes: tuple[str, ...]
    weights: FloatArray  # (features, classes)
    bias: FloatArray
    mean: FloatArray
    scale: FloatArray
    temperature: float

    def logits(self, features: FloatArray) -> FloatArray:
        z = (np.asarray(features, np.float32) - self.mean) / self.scale
        return np.asarray(z @ self.weights + self.bias, np.float32)

    def probabilities(self, features: FloatArray) -> FloatArray:
        """Calibrated probabilities, shape (n, classes)."""
        return softmax(self.logits(features) / self.temperature)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(
            path, classes=np.array(self.classes), weights=self.weights, bias=self.bias, mean=self.mean,
            scale=self.scale, temperature=np.float32(self.temperature),
        )  # fmt: skip

    @classmethod
    def load(cls, path: Path) -> SoftmaxHead:
        if not path.is_file():
            raise NotReady(f"Model file {path} is missing: {PREPARE_HINT}.")
        with np.load(path) as data:
            return cls(
                tuple(str(c) for c in data["classes"]), data["weights"].astype(np.float32),
                data["bias"].astype(np.float32), data["mean"].astype(np.float32),
                data["scale"].astype(np.float32), float(data["temperature"]),
            )  # fmt: skip


def softmax(logits: NDArray[np.floating]) -> FloatArray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return np.asarray(e / e.sum(axis=-1, keepdims=True), np.float32)


def fit_head(
    features: FloatArray,
    labels: NDArray[np.intp],
    classes: tuple[str, ...],
    *,
    held_out: NDArray[np.bool_],
    l2: float = 1e-3,
    steps: int = 400,
    rate: float = 0.5,
) -> SoftmaxHead:
    """Fit on the rows not held out, then pick the temperature that minimises log-loss on the held-out rows."""
    x = np.asarray(features, np.float64)
    train = ~held_out
    mean, scale = x[train].mean(0), x[train].std(0) + 1e-6
    z = (x - mean) / scale
    k = len(classes)
    onehot = np.eye(k)[labels]
    w, b = np.zeros((x.shape[1], k)), np.zeros(k)
    zt, yt, n = z[train], onehot[train], float(train.sum())
    for _ in range(steps):
        p = softmax(zt @ w + b).astype(np.float64)
        grad = p - yt
        w -= rate * (zt.T @ grad / n + l2 * w)
        b -= rate * grad.mean(0)
    temperature = calibration_temperature(z[held_out] @ w + b, labels[held_out]) if held_out.any() else 1.0
    f32 = np.float32
    return SoftmaxHead(classes, w.astype(f32), b.astype(f32), mean.astype(f32), scale.astype(f32), float(temperature))


def calibration_temperature(logits: NDArray[np.floating], truth: NDArray[np.intp]) -> float:
    """The temperature (from TEMPERATURES) that minimises the log-loss of held-out logits: calibrated scores."""

    def loss(t: float) -> float:
        p = softmax(logits / t)[np.arange(len(truth)), truth]
        return float(-np.log(np.maximum(p, 1e-9)).mean())

    return float(min(TEMPERATURES, key=loss))
