"""Quality measures as free functions, shared by tests, benchmarks and `stylelens eval` reports."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray


def ranks_of_truth(scores: NDArray[np.floating], truth: Sequence[int]) -> NDArray[np.intp]:
    """For each query row of a (queries, items) score matrix, the 0-based rank of its true item."""
    true_scores = scores[np.arange(len(truth)), np.asarray(truth)]
    return np.asarray((scores > true_scores[:, None]).sum(axis=1), np.intp)


def recall_at_k(ranks: NDArray[np.intp], k: int) -> float:
    """Share of queries whose true item is among the first k results."""
    return float(np.mean(np.asarray(ranks) < k)) if len(ranks) else 0.0


def accuracy(predicted: Sequence[str], truth: Sequence[str]) -> float:
    """Share of predictions equal to the truth."""
    if not truth:
        return 0.0
    return float(np.mean([p == t for p, t in zip(predicted, truth, strict=True)]))


def confusion_matrix(predicted: Sequence[str], truth: Sequence[str], labels: Sequence[str]) -> NDArray[np.int64]:
    """Counts[truth, predicted] over the given labels (others are ignored)."""
    index = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)), np.int64)
    for p, t in zip(predicted, truth, strict=True):
        if p in index and t in index:
            matrix[index[t], index[p]] += 1
    return matrix


def precision_recall(matrix: NDArray[np.int64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per-class precision and recall from a confusion matrix (0 where undefined)."""
    hits = np.diag(matrix).astype(np.float64)
    predicted, actual = matrix.sum(axis=0), matrix.sum(axis=1)
    precision = np.divide(hits, predicted, out=np.zeros_like(hits), where=predicted > 0)
    recall = np.divide(hits, actual, out=np.zeros_like(hits), where=actual > 0)
    return precision, recall


def expected_calibration_error(confidence: Sequence[float], correct: Sequence[bool], bins: int = 10) -> float:
    """How far stated confidence is from observed accuracy, averaged over confidence bins (0 = calibrated)."""
    conf, hit = np.asarray(confidence, float), np.asarray(correct, float)
    if len(conf) == 0:
        return 0.0
    which = np.minimum((conf * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        chosen = which == b
        if chosen.any():
            total += chosen.mean() * abs(conf[chosen].mean() - hit[chosen].mean())
    return float(total)


def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two (x0, y0, x1, y1) boxes."""
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
