"""The garment classifier's recipe (its defaults, overridable from `stylelens train classifier`) and how a run
is described: its result, the command that repeats it, its model card."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from stylelens.training.classifier_data import ClassificationData
from stylelens.training.common import TrainConfig, machine_summary

# The recipe's defaults; `stylelens train classifier` options override them (TrainConfig.extra for the net).
RECIPE: Final[dict[str, Any]] = {
    "epochs": 20,
    "batch_size": 128,
    "lr": 0.2,
    "weight_decay": 5e-4,
    "patience": 0,  # a one-cycle schedule ends at its best; early stopping is there for longer runs
    "width": 48,
    "label_smoothing": 0.1,
    "pad": 2,
    "flip": True,
    "erase": 0.0,
    "mirror_average": True,  # evaluate (and export) the mean of a picture's and its mirror image's logits
    "precision": "auto",  # bf16 autocast where the CPU/GPU does bf16 natively, else float32
}


@dataclass
class ClassifierResult:
    """The outcome of a training run."""

    out_dir: Path
    onnx_path: Path
    labels: list[str]
    best_epoch: int
    epochs_run: int
    val_acc: float
    test_acc: float
    parity: float
    seconds: float
    version: str | None = None
    run_id: str | None = None
    history: list[dict[str, float]] = field(default_factory=list)


def classifier_config(dataset: str, **overrides: Any) -> TrainConfig:
    """A TrainConfig with the recipe's defaults; None overrides are ignored, unknown names go to `extra`."""
    given = {k: v for k, v in overrides.items() if v is not None}
    fields = {"epochs", "batch_size", "lr", "weight_decay", "patience"}
    base = {k: given.pop(k, RECIPE[k]) for k in fields}
    known = {"seed", "out", "resume", "threads", "device", "limit", "register"}
    direct = {k: given.pop(k) for k in list(given) if k in known}
    unknown = set(given) - set(RECIPE)
    if unknown:
        raise TypeError(f"unknown classifier options: {', '.join(sorted(unknown))}")
    return TrainConfig(dataset=dataset, **base, **direct, extra=given)


def option(config: TrainConfig, name: str) -> Any:
    """A recipe knob: from config.extra, else the recipe default."""
    return config.extra.get(name, RECIPE[name])


def reproduce_command(config: TrainConfig) -> str:
    """The exact command line that trains this model again."""
    args = ["stylelens", "train", "classifier", "--dataset", str(config.dataset), "--epochs", str(config.epochs)]
    args += ["--seed", str(config.seed), "--batch-size", str(config.batch_size), "--lr", str(config.lr)]
    args += ["--weight-decay", str(config.weight_decay), "--patience", str(config.patience)]
    args += ["--width", str(option(config, "width")), "--erase", str(option(config, "erase"))]
    args += ["--precision", str(option(config, "precision"))]
    if not option(config, "mirror_average"):
        args.append("--no-mirror-average")
    if config.limit:
        args += ["--limit", str(config.limit)]
    return shlex.join(args)


def model_card(
    data: ClassificationData, config: TrainConfig, result: ClassifierResult, parameters: int
) -> dict[str, Any]:
    """The model card's content: what the model is for, what it saw, how good it is, where it fails."""
    return {
        "title": f"StyleLens garment classifier ({data.name})",
        "intended_use": "Sorting catalog product pictures into garment classes "
        f"({', '.join(data.labels)}), to fill a missing category or check a feed's category. "
        "Not for photos of people, and not for any decision about a person.",
        "data": f"{data.description}. Licence: {data.licence}. Trained on {len(data.train.head(config.limit)):,} "
        f"pictures; the best epoch chosen on val ({len(data.val):,}); test measured once, after training.",
        "limits": [
            f"Input is {data.image_shape[1]}x{data.image_shape[2]}, {data.image_shape[0]} channel(s), "
            "pixels scaled to 0..1; Fashion-MNIST pictures are light garments on a black background: "
            "photos must be converted the same way (grey, inverted, centred) or accuracy drops sharply",
            "Most errors are between similar upper-body garments (on Fashion-MNIST: shirt vs T-shirt/top, "
            "pullover and coat); see the confusion matrix of `stylelens eval compare`",
            "Only the classes above; anything else is forced into one of them (no 'unknown' class)",
        ],
        "training": {
            "network": f"GarmentNet width {option(config, 'width')} ({parameters:,} parameters)",
            "epochs": f"{result.epochs_run} run, best {result.best_epoch}",
            "optimiser": f"SGD nesterov, one-cycle lr {config.lr}, weight decay {config.weight_decay}, "
            f"batch {config.batch_size}, label smoothing {option(config, 'label_smoothing')}",
            "augmentation": f"shift +-{option(config, 'pad')} px, mirror, random erasing p={option(config, 'erase')}",
            "prediction": "mean logits of the picture and its mirror image"
            if option(config, "mirror_average")
            else "single pass",
            "seed": config.seed,
            "mlflow_run": result.run_id or "not tracked",
            "machine": machine_summary(),
        },
        "command": reproduce_command(config),
    }
