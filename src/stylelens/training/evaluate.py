"""`stylelens eval compare`: two registered classifier versions side by side on the same test pictures.

Both ONNX files run in ONNX Runtime (what serving runs) over the same split; the report gives each version's
accuracy, per-class accuracy, the pictures on which they disagree, and PNG plots (confusion matrices side by
side, per-class accuracy bars) in one folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from stylelens.errors import InvalidInput
from stylelens.training.registry import ModelRegistry, ModelVersion


@dataclass(frozen=True)
class VersionScores:
    """One version's predictions on the split and what follows from them."""

    version: str
    predicted: NDArray[np.int64]
    truth: NDArray[np.int64]
    classes: int

    @property
    def accuracy(self) -> float:
        return float((self.predicted == self.truth).mean()) if len(self.truth) else 0.0

    @property
    def confusion(self) -> NDArray[np.int64]:
        matrix = np.zeros((self.classes, self.classes), np.int64)
        np.add.at(matrix, (self.truth, self.predicted), 1)
        return matrix

    @property
    def per_class(self) -> NDArray[np.float64]:
        matrix = self.confusion
        totals = matrix.sum(axis=1)
        share: NDArray[np.float64] = np.divide(np.diag(matrix), totals, out=np.zeros(self.classes), where=totals > 0)
        return share


def compare_classifiers(
    registry: ModelRegistry,
    version_a: str,
    version_b: str,
    dataset: str,
    out: Path,
    data_dir: Path | None = None,
    split: str = "test",
    limit: int | None = None,
) -> dict[str, Any]:
    """Evaluate two classifier versions on one split; write compare.md, compare.json and PNGs under `out`."""
    from stylelens.training.classifier_data import load_classification
    from stylelens.training.classifier_export import onnx_predict

    a, b = registry.get("classifier", version_a), registry.get("classifier", version_b)
    data = load_classification(dataset, data_dir)
    for version in (a, b):
        _check_labels(version, data.labels)
    chosen = getattr(data, split).head(limit)
    pictures, truth = chosen.images.numpy(), chosen.labels.numpy()
    scores = [
        VersionScores(v.version, onnx_predict(v.onnx_path, pictures).argmax(1), truth, len(data.labels)) for v in (a, b)
    ]
    out.mkdir(parents=True, exist_ok=True)
    _plots(out, scores, data.labels)
    summary = _summary(scores, data.labels, dataset, split)
    (out / "compare.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out / "compare.md").write_text(_markdown(summary, a, b))
    return summary


def _check_labels(version: ModelVersion, labels: list[str]) -> None:
    classes = version.path / "classes.json"
    if classes.is_file() and json.loads(classes.read_text()).get("labels") != labels:
        raise InvalidInput(f"classifier {version.version} was trained on other classes than this dataset's")


def _summary(scores: list[VersionScores], labels: list[str], dataset: str, split: str) -> dict[str, Any]:
    a, b = scores
    disagree = a.predicted != b.predicted
    return {
        "dataset": dataset,
        "split": split,
        "pictures": int(len(a.truth)),
        "labels": labels,
        "versions": {
            s.version: {"accuracy": s.accuracy, "per_class": dict(zip(labels, s.per_class.tolist(), strict=True))}
            for s in scores
        },
        "disagreements": int(disagree.sum()),
        "only_a_right": int((disagree & (a.predicted == a.truth)).sum()),
        "only_b_right": int((disagree & (b.predicted == b.truth)).sum()),
    }


def _markdown(summary: dict[str, Any], a: ModelVersion, b: ModelVersion) -> str:
    va, vb = summary["versions"][a.version], summary["versions"][b.version]
    lines = [
        f"# Classifier {a.version} vs {b.version}",
        "",
        f"{summary['pictures']:,} {summary['split']} pictures of `{summary['dataset']}`; "
        "both models run in ONNX Runtime.",
        "",
        f"| | {a.version} | {b.version} |",
        "|---|---|---|",
        f"| accuracy | {va['accuracy']:.4f} | {vb['accuracy']:.4f} |",
        f"| created | {a.meta['created']} | {b.meta['created']} |",
        f"| onnx sha256 | `{a.meta['onnx_sha256'][:12]}` | `{b.meta['onnx_sha256'][:12]}` |",
    ]
    for label in summary["labels"]:
        lines.append(f"| {label} | {va['per_class'][label]:.4f} | {vb['per_class'][label]:.4f} |")
    lines += [
        "",
        f"They disagree on {summary['disagreements']:,} pictures: only {a.version} is right on "
        f"{summary['only_a_right']:,}, only {b.version} on {summary['only_b_right']:,}.",
        "",
        "![confusion matrices](confusion.png)",
        "",
        "![per-class accuracy](per_class.png)",
        "",
    ]
    return "\n".join(lines)


def _plots(out: Path, scores: list[VersionScores], labels: list[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 5.6))
    for ax, s in zip(axes, scores, strict=True):
        matrix = s.confusion
        rows = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
        ax.imshow(rows, cmap="Blues", vmin=0, vmax=1)
        ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=7)
        ax.set_yticks(range(len(labels)), labels, fontsize=7)
        for (i, j), n in np.ndenumerate(matrix):
            if n:
                colour = "white" if rows[i, j] >= 0.6 else "black"
                ax.text(j, i, str(n), ha="center", va="center", fontsize=6, color=colour)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(f"{s.version}: accuracy {s.accuracy:.4f}", fontsize=9)
    fig.tight_layout()
    fig.savefig(out / "confusion.png", dpi=110)
    plt.close(fig)
    x = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(max(5, 0.8 * len(labels)), 3.4))
    for offset, s in zip((-0.2, 0.2), scores, strict=True):
        ax.bar(x + offset, s.per_class, 0.4, label=f"{s.version} ({s.accuracy:.4f})")
    ax.set_xticks(x, labels, rotation=60, ha="right", fontsize=7)
    ax.set_ylim(0, 1)
    ax.set_ylabel("accuracy")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "per_class.png", dpi=110)
    plt.close(fig)
