"""Training the garment classifier: seeded, resumable, tracked, exported to ONNX and registered with its card.

`train_classifier(config, settings)` runs the whole recipe: GarmentNet, SGD with Nesterov momentum under a
one-cycle learning rate, label smoothing, shifted/mirrored/erased pictures, early stopping on validation
accuracy, a checkpoint after every epoch (a resumed run ends with the same weights as one never stopped), the
best epoch exported to ONNX (parity with PyTorch <= 1e-4) and registered as the next `classifier` version.
"""

from __future__ import annotations

import json
import math
import platform
import shutil
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from stylelens.config import Settings
from stylelens.training.classifier_data import ClassificationData, Split, augment, batches, load_classification
from stylelens.training.classifier_export import check_parity, export_classifier, onnx_predict
from stylelens.training.classifier_net import GarmentNet, parameter_count
from stylelens.training.classifier_recipe import ClassifierResult, model_card, option
from stylelens.training.common import (
    Checkpointer,
    EarlyStopping,
    TrainConfig,
    pick_device,
    restore_rng,
    rng_state,
    seed_everything,
    set_threads,
)
from stylelens.training.registry import ModelRegistry
from stylelens.training.tracking import Tracker


@dataclass
class EpochReport:
    """What one epoch did, for the progress display and the tracker."""

    epoch: int
    epochs: int
    train_loss: float
    val_acc: float
    lr: float
    seconds: float
    best: bool


def train_classifier(
    config: TrainConfig,
    settings: Settings,
    on_epoch: Callable[[EpochReport], None] | None = None,
    on_batch: Callable[[int, int], None] | None = None,
) -> ClassifierResult:
    """Train, export and register a garment classifier as `config` says; returns what it reached."""
    started = time.perf_counter()
    set_threads(config.threads or settings.training.threads)
    data = load_classification(config.dataset, settings.storage.data_dir)
    train = data.train.head(config.limit)
    out_dir = config.out or settings.runs_dir / "classifier" / data.name
    checkpoints = Checkpointer(out_dir / "checkpoints")
    if not config.resume and checkpoints.directory.exists():
        shutil.rmtree(checkpoints.directory)  # a fresh run must not resume someone else's epochs by accident
    generator = seed_everything(config.seed)
    device = pick_device(config.device)
    model = GarmentNet(len(data.labels), data.image_shape[0], width=option(config, "width")).to(device)
    model.mirror_average = bool(option(config, "mirror_average"))
    optimiser = _optimiser(model, config)
    steps = config.epochs * math.ceil(len(train) / config.batch_size)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=config.lr, total_steps=steps, pct_start=0.25, div_factor=10, final_div_factor=100
    )
    stopper = EarlyStopping(config.patience, mode="max")
    state = checkpoints.latest() if config.resume else None
    history: list[dict[str, float]] = []
    if state is not None:
        model.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimiser"])
        scheduler.load_state_dict(state["scheduler"])
        stopper.load_state_dict(state["stopper"])
        restore_rng(state["rng"], generator)
        history = state["history"]
    first = state["epoch"] + 1 if state else 1
    best = (state or {}).get("best", {"epoch": 0, "val_acc": -1.0})
    precision = _precision(option(config, "precision"), device)
    params = {**config.params(), "parameters": parameter_count(model), "precision": precision, "device": str(device)}
    loss_fn = nn.CrossEntropyLoss(label_smoothing=option(config, "label_smoothing"))
    tracker = Tracker("classifier", settings, params=params, run_id=(state or {}).get("run_id"), tags=_tags(data))
    with tracker:
        done = bool(state and state.get("finished"))
        for epoch in range(first, config.epochs + 1):
            if done:
                break
            tick = time.perf_counter()
            loss = _train_epoch(model, train, config, generator, optimiser, scheduler, loss_fn, precision, on_batch)
            val_acc = accuracy(model, data.val, precision)
            stop = stopper.step(val_acc)
            if stopper.improved:
                best = {"epoch": epoch, "val_acc": val_acc}
            report = EpochReport(
                epoch,
                config.epochs,
                loss,
                val_acc,
                float(scheduler.get_last_lr()[0]),
                time.perf_counter() - tick,
                stopper.improved,
            )
            history.append({"epoch": epoch, "train_loss": loss, "val_acc": val_acc, "seconds": report.seconds})
            tracker.log_metrics({"train_loss": loss, "val_acc": val_acc, "lr": report.lr}, step=epoch)
            done = stop or epoch == config.epochs
            checkpoints.save(
                {
                    "model": model.state_dict(),
                    "optimiser": optimiser.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "stopper": stopper.state_dict(),
                    "rng": rng_state(generator),
                    "history": history,
                    "best": best,
                    "run_id": tracker.run_id,
                    "finished": done,
                },
                epoch,
                best=stopper.improved,
            )
            if on_epoch is not None:
                on_epoch(report)
        result = _finish(model, data, config, settings, checkpoints, tracker, out_dir, history)
    result.seconds = time.perf_counter() - started
    return result


def _optimiser(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    """SGD with Nesterov momentum; no weight decay on batch-norm and bias parameters."""
    decay = [p for p in model.parameters() if p.ndim > 1]
    rest = [p for p in model.parameters() if p.ndim <= 1]
    groups = [{"params": decay, "weight_decay": config.weight_decay}, {"params": rest, "weight_decay": 0.0}]
    return torch.optim.SGD(groups, lr=config.lr, momentum=0.9, nesterov=True)


def _precision(choice: str, device: torch.device) -> str:
    if choice != "auto":
        return choice
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    return "bf16" if bool(torch.ops.mkldnn._is_mkldnn_bf16_supported()) else "fp32"


def _autocast(precision: str, device: torch.device) -> AbstractContextManager[Any]:
    if precision == "bf16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return nullcontext()


def _pixels(images: torch.Tensor, device: torch.device) -> torch.Tensor:
    return images.to(device).float().div_(255).contiguous(memory_format=torch.channels_last)


def _train_epoch(
    model: nn.Module,
    train: Split,
    config: TrainConfig,
    generator: torch.Generator,
    optimiser: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    loss_fn: nn.Module,
    precision: str,
    on_batch: Callable[[int, int], None] | None,
) -> float:
    """One pass over the shuffled, augmented training pictures; returns the mean loss."""
    model.train()
    device = next(model.parameters()).device
    order = batches(train, config.batch_size, generator)
    total = 0.0
    pad, flip, erase = option(config, "pad"), option(config, "flip"), option(config, "erase")
    for i, index in enumerate(order):
        pictures = _pixels(augment(train.images[index], generator, pad=pad, flip=flip, erase=erase), device)
        with _autocast(precision, device):
            loss = loss_fn(model(pictures), train.labels[index].to(device))
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        scheduler.step()
        total += float(loss.detach())
        if on_batch is not None:
            on_batch(i + 1, len(order))
    return total / max(1, len(order))


def accuracy(model: nn.Module, split: Split, precision: str = "fp32") -> float:
    """Share of the split's pictures whose top class is right (PyTorch, eval mode)."""
    model.eval()
    device = next(model.parameters()).device
    correct = 0
    with torch.no_grad(), _autocast(precision, device):
        for index in batches(split, 1000):
            logits = model(_pixels(split.images[index], device))
            correct += int((logits.argmax(1).cpu() == split.labels[index]).sum())
    return correct / max(1, len(split))


def _finish(
    model: nn.Module,
    data: ClassificationData,
    config: TrainConfig,
    settings: Settings,
    checkpoints: Checkpointer,
    tracker: Tracker,
    out_dir: Path,
    history: list[dict[str, float]],
) -> ClassifierResult:
    """Export the best epoch, check it against PyTorch, measure it on test with ONNX Runtime, register it."""
    best = checkpoints.best() or checkpoints.latest()
    assert best is not None, "training ran no epoch"
    model = model.cpu()
    model.load_state_dict(best["model"])
    onnx_path = out_dir / "model.onnx"
    export_classifier(model, data.image_shape, onnx_path)
    parity = check_parity(model, onnx_path, data.val.images[:16].float() / 255)
    logits = onnx_predict(onnx_path, data.test.images.numpy())
    test_acc = float((logits.argmax(1) == data.test.labels.numpy()).mean())
    val_acc = float(best["best"]["val_acc"])
    metrics = {"test_acc": test_acc, "val_acc": val_acc, "parity_max_abs_diff": parity}
    tracker.log_metrics(metrics, step=int(best["epoch"]))
    classes = out_dir / "classes.json"
    classes.write_text(json.dumps(_classes(data), indent=2) + "\n")
    result = ClassifierResult(
        out_dir=out_dir,
        onnx_path=onnx_path,
        labels=data.labels,
        best_epoch=int(best["epoch"]),
        epochs_run=len(history),
        val_acc=val_acc,
        test_acc=test_acc,
        parity=parity,
        seconds=0.0,
        run_id=tracker.run_id,
        history=history,
    )
    if config.register:
        registry = ModelRegistry(settings.registry_dir)
        card = model_card(data, config, result, parameter_count(model))
        result.version = registry.register("classifier", onnx_path, card, metrics, files=[classes])
        if registry.active("classifier") is None:
            registry.activate("classifier", result.version)
        card_path = registry.get("classifier", result.version).card_path
        tracker.log_artifact(card_path)
        tracker.set_tags({"registry_version": result.version})
    tracker.log_artifact(onnx_path)
    return result


def _classes(data: ClassificationData) -> dict[str, Any]:
    c, h, w = data.image_shape
    return {
        "labels": data.labels,
        "input": {"name": "image", "shape": ["N", c, h, w], "dtype": "float32", "scale": "0..1", "layout": "NCHW"},
        "output": "logits",
    }


def _tags(data: ClassificationData) -> dict[str, str]:
    return {"dataset": data.name, "host": platform.node(), "torch": torch.__version__}
