"""`stylelens train segmenter`: teach a network which pixels of a photo are garment, from synthetic composites.

The network (`segmenter_net`) is an ImageNet MobileNetV2 with a light FPN decoder; its first stage stays
frozen (generic edges and colours; it is the costliest to train on a CPU). Each epoch trains on augmented
views of the train composites and is scored on the val composites (held-out products) for early stopping;
the best epoch is then measured on the test composites (held-out products on held-out background photos),
exported to ONNX (parity with PyTorch checked) and registered as a `segmenter` with its model card.

mIoU here is the mean of the background IoU and the garment IoU, each pooled over every pixel of the split.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import torch
from torch import Tensor
from torch.nn import functional as F  # noqa: N812 - torch's own convention

from stylelens.config import Settings
from stylelens.data.manifest import Dataset
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
from stylelens.training.segmenter_data import MaskSet, as_input, augment, load_split
from stylelens.training.segmenter_export import export_segmenter
from stylelens.training.segmenter_net import GarmentSegNet
from stylelens.training.tracking import Tracker
from stylelens.vision.segmenter import logits_to_size

log = logging.getLogger(__name__)

DEFAULTS: Final[dict[str, Any]] = {"input_size": 160, "frozen_stages": 1, "width": 64, "encoder_lr_scale": 0.3,
                                   "warmup_steps": 60, "pretrained": True}  # fmt: skip


@dataclass(frozen=True)
class SegmenterRun:
    """What a training run produced: its scores, where its files are, how long it took."""

    epochs: int  # the last epoch trained (resumed ones included)
    best_epoch: int
    val: dict[str, float]
    test: dict[str, float]
    onnx_path: Path
    parity: float
    seconds: float
    run_id: str | None


def knobs(config: TrainConfig) -> dict[str, Any]:
    return {**DEFAULTS, **config.extra}


def iou_scores(intersection: np.ndarray, union: np.ndarray) -> dict[str, float]:
    """Background IoU, garment IoU and their mean (mIoU) from pixel counts pooled over a split."""
    iou = intersection / np.maximum(union, 1)
    return {"iou_background": float(iou[0]), "iou_garment": float(iou[1]), "miou": float(iou.mean())}


def evaluate(model: GarmentSegNet, data: MaskSet, side: int, batch: int = 32) -> dict[str, float]:
    """Pooled IoUs of the model's masks on a split, the photos prepared exactly as serving prepares them."""
    model.eval()
    intersection, union = np.zeros(2), np.zeros(2)
    height, width = data.masks.shape[-2:]
    with torch.no_grad():
        for start in range(0, len(data), batch):
            images = data.images[start : start + batch]
            logits = model(as_input(images, side)).numpy()
            for one, truth in zip(logits, data.masks[start : start + batch].numpy(), strict=True):
                pred = logits_to_size(one[0], width, height) > 0
                truth = truth[0].astype(bool)
                for cls, (p, t) in enumerate(((~pred, ~truth), (pred, truth))):
                    intersection[cls] += np.count_nonzero(p & t)
                    union[cls] += np.count_nonzero(p | t)
    return iou_scores(intersection, union)


def segmentation_loss(logits: Tensor, target: Tensor) -> Tensor:
    """Binary cross-entropy plus soft Dice (Dice keeps small garments from being drowned by background)."""
    bce = F.binary_cross_entropy_with_logits(logits, target)
    prob = torch.sigmoid(logits)
    dice = 1 - (2 * (prob * target).sum((1, 2, 3)) + 1) / (prob.sum((1, 2, 3)) + target.sum((1, 2, 3)) + 1)
    return bce + dice.mean()


def train_segmenter(
    settings: Settings,
    config: TrainConfig,
    *,
    command: str,
    on_step: Callable[[int, int], None] | None = None,
    on_epoch: Callable[[int, dict[str, float]], None] | None = None,
) -> SegmenterRun:
    """Train (or resume) the garment segmenter on a segmentation dataset; keep the best epoch; test; export."""
    started = time.perf_counter()
    k = knobs(config)
    side = int(k["input_size"])
    generator = seed_everything(config.seed)
    set_threads(config.threads or settings.training.threads)
    device = pick_device(config.device)
    out = config.out or settings.runs_dir / "segmenter"
    dataset = Dataset.open(config.dataset)
    dataset.verify()
    train, val = load_split(dataset, "train", config.limit), load_split(dataset, "val", config.limit)
    model = GarmentSegNet(pretrained=bool(k["pretrained"]), width=int(k["width"])).to(device)
    frozen = model.stages[: int(k["frozen_stages"])]
    frozen.requires_grad_(False)
    encoder = [p for p in model.encoder_parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(
        [{"params": model.decoder_parameters()}, {"params": encoder, "lr": config.lr * k["encoder_lr_scale"]}],
        lr=config.lr, weight_decay=config.weight_decay,
    )  # fmt: skip
    steps_per_epoch = math.ceil(len(train) / config.batch_size)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser, _warmup_cosine(int(k["warmup_steps"]), steps_per_epoch * config.epochs)
    )
    stopper = EarlyStopping(config.patience, mode="max")
    checkpoints = Checkpointer(out / "checkpoints")
    first_epoch, run_id = 1, None
    state = checkpoints.latest() if config.resume else None
    if state is not None:
        model.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimiser"])
        scheduler.load_state_dict(state["scheduler"])
        stopper.load_state_dict(state["early_stopping"])
        restore_rng(state["rng"], generator)
        first_epoch, run_id = int(state["epoch"]) + 1, state.get("run_id")
        log.info("resuming the segmenter run from epoch %d", first_epoch - 1)
    params = {**config.params(), **{f"extra.{n}": v for n, v in k.items()}, "train_items": len(train),
              "val_items": len(val)}  # fmt: skip
    epoch = first_epoch - 1
    with Tracker("segmenter", settings, params=params, run_id=run_id) as tracker:
        stopped = state is not None and stopper.patience > 0 and stopper.bad_epochs >= stopper.patience
        for epoch in range(first_epoch, config.epochs + 1):
            if stopped:
                break
            model.train()
            frozen.eval()  # frozen batch norms keep their ImageNet statistics
            losses = []
            order = torch.randperm(len(train), generator=generator)
            for step, start in enumerate(range(0, len(train), config.batch_size), 1):
                rows = order[start : start + config.batch_size]
                x, y = augment(train.images[rows], train.masks[rows], side, generator)
                loss = segmentation_loss(model(x.to(device)), y.to(device))
                optimiser.zero_grad()
                loss.backward()  # type: ignore[no-untyped-call]
                optimiser.step()
                scheduler.step()
                losses.append(loss.item())
                if on_step:
                    on_step(step, steps_per_epoch)
            scores = evaluate(model.cpu(), val, side)
            model.to(device)
            epoch_metrics = {"loss": float(np.mean(losses)), **{f"val_{n}": v for n, v in scores.items()}}
            tracker.log_metrics(epoch_metrics, step=epoch)
            stopped = stopper.step(scores["miou"])
            checkpoints.save(
                {"model": model.state_dict(), "optimiser": optimiser.state_dict(), "scheduler": scheduler.state_dict(),
                 "early_stopping": stopper.state_dict(), "rng": rng_state(generator), "run_id": tracker.run_id,
                 "val": scores, "knobs": k},
                epoch, best=stopper.improved,
            )  # fmt: skip
            if on_epoch:
                on_epoch(epoch, epoch_metrics)
        best = checkpoints.best() or checkpoints.latest()
        assert best is not None, "no epoch was trained"
        model = model.cpu()
        model.load_state_dict(best["model"])
        test = evaluate(model, load_split(dataset, "test", config.limit), side)
        tracker.log_metrics({f"test_{n}": v for n, v in test.items()})
        onnx_path, parity = export_segmenter(model, out / "export", side)
        meta = {"test": test, "val": best["val"], "best_epoch": int(best["epoch"]), "parity": parity,
                "command": command, "knobs": k, "dataset": str(dataset.root), "dataset_name": dataset.name}  # fmt: skip
        (out / "export" / "run.json").write_text(json.dumps(meta, indent=2))
        tracker.log_artifact(onnx_path)
        run_id = tracker.run_id
    return SegmenterRun(
        epoch, int(best["epoch"]), dict(best["val"]), test, onnx_path, parity, time.perf_counter() - started, run_id
    )


def _warmup_cosine(warmup: int, total: int) -> Callable[[int], float]:
    """Learning-rate factor per step: a linear warm-up, then a cosine decay to zero at the last step."""

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warmup) / max(1, total - warmup))))

    return factor
