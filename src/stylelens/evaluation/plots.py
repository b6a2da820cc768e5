"""The PNG figures of the evaluation reports (matplotlib, headless)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from stylelens.evaluation.metrics import precision_recall, recall_at_k


def _pyplot() -> Any:  # matplotlib.pyplot, imported on first use with the Agg backend
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def confusion_png(path: Path, matrix: NDArray[np.int64], labels: Sequence[str], title: str) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(1 + 0.5 * len(labels), 1 + 0.5 * len(labels)))
    rows = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    ax.imshow(rows, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    for (i, j), n in np.ndenumerate(matrix):
        if n:
            ax.text(j, i, str(n), ha="center", va="center", fontsize=6, color="black" if rows[i, j] < 0.6 else "white")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def per_class_png(path: Path, matrix: NDArray[np.int64], labels: Sequence[str], title: str) -> None:
    plt = _pyplot()
    precision, recall = precision_recall(matrix)
    x = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(max(4, 0.6 * len(labels)), 3))
    ax.bar(x - 0.2, precision, 0.4, label="precision")
    ax.bar(x + 0.2, recall, 0.4, label="recall")
    ax.set_xticks(x, labels, rotation=60, ha="right", fontsize=7)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def recall_png(path: Path, ranks: NDArray[np.intp]) -> None:
    plt = _pyplot()
    ks = [1, 2, 5, 10, 20, 50]
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot(ks, [recall_at_k(ranks, k) for k in ks], marker="o")
    ax.set_xscale("log")
    ax.set_xticks(ks, [str(k) for k in ks])
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("K")
    ax.set_ylabel("recall@K")
    ax.set_title("Exact item in the top K (shopper photos)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
