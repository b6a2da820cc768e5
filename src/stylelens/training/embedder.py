"""`stylelens train embedder`: teach a projection head so shoppers' photos land next to their catalog item.

The backbone stays frozen (its vectors are cached once, see `embedder_data`); a small head is trained on top
with a metric-learning loss where the class is the product. Each epoch is scored on held-out *val* products
(recall@1 of their shopper photos against a packshot gallery) for early stopping; the best head is then
measured on the demo catalog (never trained on), frozen backbone vs head, exported to ONNX (parity checked)
and registered as an `embedder` model with its card.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import torch

from stylelens.config import Settings
from stylelens.evaluation import metrics
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
from stylelens.training.embedder_data import ViewSet
from stylelens.training.embedder_export import export_head
from stylelens.training.embedder_net import ProjectionHead, fisher_directions, make_loss
from stylelens.training.tracking import Tracker

log = logging.getLogger(__name__)

DEFAULTS: Final[dict[str, Any]] = {
    "loss": "proxy_anchor", "out_dim": 256, "hidden": 256, "dropout": 0.1, "products_per_batch": 64,
    "proxy_lr_scale": 100.0, "noise": 0.0, "init": "fisher", "shrink": 0.3,
}  # fmt: skip


@dataclass(frozen=True)
class EmbedderRun:
    """What a training run produced: the best head, its scores, where its files are."""

    head: ProjectionHead
    epochs: int  # epochs trained in total (with resumed ones)
    best_epoch: int
    val_recall_at_1: float
    test: dict[str, dict[str, float]]  # "frozen" / "fine-tuned" -> recall@k overall and per style
    onnx_path: Path
    parity: float
    seconds: float
    run_id: str | None


def knobs(config: TrainConfig) -> dict[str, Any]:
    """The recipe's settings: DEFAULTS overridden by `config.extra`."""
    unknown = set(config.extra) - set(DEFAULTS) - {"spec"}
    if unknown:
        raise ValueError(f"unknown embedder settings: {', '.join(sorted(unknown))}")
    return {**DEFAULTS, **{k: v for k, v in config.extra.items() if k in DEFAULTS}}


def retrieval_ranks(queries: np.ndarray, query_products: np.ndarray, gallery: ViewSet) -> np.ndarray:
    """0-based rank of each query's own product among the gallery's packshots (cosine similarity)."""
    position = {int(p): i for i, p in enumerate(gallery.products)}
    truth = [position[int(p)] for p in query_products]
    return metrics.ranks_of_truth(queries @ gallery.vectors.T, truth)


def recall_table(ranks: np.ndarray, styles: np.ndarray) -> dict[str, float]:
    """recall@1/5/10 overall and recall@1/10 per photo style."""
    out = {f"recall@{k}": metrics.recall_at_k(ranks, k) for k in (1, 5, 10)}
    for style in sorted(set(styles.tolist())):
        part = ranks[styles == style]
        out |= {f"{style}/recall@1": metrics.recall_at_k(part, 1), f"{style}/recall@10": metrics.recall_at_k(part, 10)}
        out[f"{style}/queries"] = float(len(part))
    return out


def project(head: ProjectionHead, vectors: np.ndarray, batch: int = 4096) -> np.ndarray:
    """The head applied to backbone vectors, in eval mode, as float32 numpy."""
    head.eval()
    with torch.no_grad():
        parts = [head(torch.from_numpy(vectors[s : s + batch])).numpy() for s in range(0, len(vectors), batch)]
    return np.concatenate(parts).astype(np.float32) if parts else np.zeros((0, head.out_dim), np.float32)


def evaluate(head: ProjectionHead | None, queries: ViewSet, gallery: ViewSet) -> dict[str, float]:
    """Exact-item retrieval of `queries` against `gallery`, through the head (None: the frozen backbone)."""
    q = queries.vectors if head is None else project(head, queries.vectors)
    g = gallery if head is None else ViewSet(project(head, gallery.vectors), gallery.products, gallery.styles)
    return recall_table(retrieval_ranks(q, queries.products, g), queries.styles)


def _val_sets(sets: dict[str, ViewSet]) -> tuple[ViewSet, ViewSet]:
    """Val queries (shopper photos of val products) and a gallery of every train and val packshot."""
    train, val = sets["train"], sets["val"]
    gallery = ViewSet(
        np.concatenate([train.vectors, val.vectors]), np.concatenate([train.products, val.products]),
        np.concatenate([train.styles, val.styles]),
    )  # fmt: skip
    return val.where(val.styles != "packshot"), gallery.where(gallery.styles == "packshot")


def _batches(labels: np.ndarray, per_batch: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Row indices grouped so each batch holds every photo of `per_batch` products."""
    classes = rng.permutation(labels.max() + 1)
    order = np.argsort(labels, kind="stable")
    starts = np.searchsorted(labels[order], np.arange(labels.max() + 2))
    rows_of = [order[starts[c] : starts[c + 1]] for c in range(labels.max() + 1)]
    return [np.concatenate([rows_of[c] for c in classes[s : s + per_batch]]) for s in range(0, len(classes), per_batch)]


def train_embedder(
    settings: Settings,
    config: TrainConfig,
    sets: dict[str, ViewSet],
    *,
    command: str,
    on_epoch: Callable[[int, dict[str, float]], None] | None = None,
) -> EmbedderRun:
    """Train (or resume) a projection head on cached backbone vectors, keep the best, measure, export."""
    started = time.perf_counter()
    k = knobs(config)
    generator = seed_everything(config.seed)
    set_threads(config.threads or settings.training.threads)
    device = pick_device(config.device)
    out = config.out or settings.runs_dir / "embedder"
    train = sets["train"]
    if config.limit:
        train = train.where(train.products < np.unique(train.products)[: config.limit].max() + 1)
    classes, labels = np.unique(train.products, return_inverse=True)
    dim = train.vectors.shape[1]
    head = ProjectionHead(dim, int(k["out_dim"]), int(k["hidden"]), float(k["dropout"]))
    if k["init"] == "fisher":  # start from linear discriminant analysis of the training photos
        weight, bias = fisher_directions(torch.from_numpy(train.vectors), torch.from_numpy(labels), head.out_dim,
                                         float(k["shrink"]))  # fmt: skip
        with torch.no_grad():
            head.project.weight.copy_(weight)
            head.project.bias.copy_(bias)
    # The closed-form start alone, measured too: what the metric-learning loss adds on top of it.
    initial = evaluate(head, sets["queries"], sets["gallery"]) if k["init"] == "fisher" else None
    head = head.to(device)
    loss_fn = make_loss(str(k["loss"]), len(classes), int(k["out_dim"])).to(device)
    groups = [{"params": head.parameters(), "lr": config.lr}]
    if any(True for _ in loss_fn.parameters()):
        groups.append({"params": loss_fn.parameters(), "lr": config.lr * float(k["proxy_lr_scale"])})
    optimiser = torch.optim.AdamW(groups, weight_decay=config.weight_decay)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=max(1, config.epochs))
    stopper = EarlyStopping(config.patience, mode="max")
    checkpoints = Checkpointer(out / "checkpoints")
    first_epoch, run_id = 1, None
    state = checkpoints.latest() if config.resume else None
    if state is not None:
        head.load_state_dict(state["model"])
        loss_fn.load_state_dict(state["loss"])
        optimiser.load_state_dict(state["optimiser"])
        scheduler.load_state_dict(state["scheduler"])
        stopper.load_state_dict(state["early_stopping"])
        restore_rng(state["rng"], generator)
        first_epoch, run_id = int(state["epoch"]) + 1, state.get("run_id")
        log.info("resuming the embedder run from epoch %d", first_epoch - 1)
    val_queries, val_gallery = _val_sets(sets)
    x_all = torch.from_numpy(train.vectors).to(device)
    y_all = torch.from_numpy(labels.astype(np.int64)).to(device)
    params = {**config.params(), **{f"extra.{n}": v for n, v in k.items()}, "train_products": len(classes)}
    with Tracker("embedder", settings, params=params, run_id=run_id) as tracker:
        stopped = state is not None and stopper.patience > 0 and stopper.bad_epochs >= stopper.patience
        epoch = first_epoch - 1
        for epoch in range(first_epoch, config.epochs + 1 if not stopped else first_epoch):
            numpy_rng = np.random.default_rng(int(torch.randint(0, 2**31 - 1, (1,), generator=generator)))
            head.train()
            losses = []
            for rows in _batches(labels, int(k["products_per_batch"]), numpy_rng):
                index = torch.from_numpy(rows).to(device)
                x = x_all[index]
                if k["noise"]:
                    x = torch.nn.functional.normalize(x + float(k["noise"]) * torch.randn_like(x), dim=-1)
                loss = loss_fn(head(x), y_all[index])
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                losses.append(loss.item())
            scheduler.step()
            scores = evaluate(head.cpu(), val_queries, val_gallery)
            head.to(device)
            epoch_metrics = {"loss": float(np.mean(losses)), "val_recall_at_1": scores["recall@1"],
                             "val_recall_at_10": scores["recall@10"]}  # fmt: skip
            tracker.log_metrics(epoch_metrics, step=epoch)
            stopped = stopper.step(scores["recall@1"])
            checkpoints.save(
                {"model": head.state_dict(), "loss": loss_fn.state_dict(), "optimiser": optimiser.state_dict(),
                 "scheduler": scheduler.state_dict(), "early_stopping": stopper.state_dict(),
                 "rng": rng_state(generator), "run_id": tracker.run_id, "val_recall@1": scores["recall@1"],
                 "head_config": head.config()},
                epoch, best=stopper.improved,
            )  # fmt: skip
            if on_epoch:
                on_epoch(epoch, epoch_metrics)
            if stopped:
                break
        best = checkpoints.best() or checkpoints.latest()
        assert best is not None, "no epoch was trained"
        head = head.cpu()
        head.load_state_dict(best["model"])
        head.eval()
        test = {"frozen": evaluate(None, sets["queries"], sets["gallery"]),
                "fine-tuned": evaluate(head, sets["queries"], sets["gallery"])}  # fmt: skip
        if initial is not None:
            test["fisher-init"] = initial
        tracker.log_metrics(
            {f"test_{n}_{m}".replace("@", "_at_"): v for n, s in test.items() for m, v in s.items() if "/" not in m}
        )
        onnx_path, parity = export_head(head, out / "export")
        meta = {"test": test, "best_epoch": int(best["epoch"]), "val_recall@1": float(best["val_recall@1"]),
                "parity": parity, "command": command, "knobs": k}  # fmt: skip
        (out / "export" / "run.json").write_text(json.dumps(meta, indent=2))
        tracker.log_artifact(onnx_path)
        run_id = tracker.run_id
    return EmbedderRun(
        head, epoch, int(best["epoch"]), float(best["val_recall@1"]), test, onnx_path, parity,
        time.perf_counter() - started, run_id,
    )  # fmt: skip
