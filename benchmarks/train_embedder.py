"""Exact-item recall of shopper-style photos: the frozen MobileNetV2 vs the fine-tuned embedder head, one run.

Trains the head exactly as `stylelens train embedder` does (same defaults, unless flags are passed through),
then measures both embedders on the same queries (shopper-style photos of demo catalog items, never trained
on) against the same gallery (every demo catalog packshot), overall and per photo style, and writes the
report to docs/eval/embedder/embedder.md (with embedder.json). Prints the figures, their baseline and the
machine. Usage:

    .venv/bin/python benchmarks/train_embedder.py [--threads 2] [--save-default models/embedder]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

from stylelens.config import Settings, StorageSettings, TrainingSettings, VisionSettings
from stylelens.training.common import TrainConfig
from stylelens.training.embedder_command import card, reproduce_command, run_training, write_default
from stylelens.training.embedder_data import FeatureSpec

REPORT = Path("docs/eval/embedder")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--loss", default="proxy_anchor")
    parser.add_argument("--out-dim", type=int, default=256)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--patience", type=int, default=6)
    parser.add_argument("--train-products", type=int, default=2000)
    parser.add_argument("--views", type=int, default=4)
    parser.add_argument("--queries", type=int, default=1200)
    parser.add_argument("--save-default", type=Path, default=None)
    parser.add_argument("--data-dir", type=Path, default=Path("var"))
    args = parser.parse_args()

    settings = Settings(
        storage=StorageSettings(data_dir=args.data_dir),
        vision=VisionSettings(models_dir=Path("var/models"), threads=args.threads),
        training=TrainingSettings(threads=args.threads),
    )
    spec = FeatureSpec(train_products=args.train_products, views=args.views, queries=args.queries)
    extra = {"loss": args.loss, "out_dim": args.out_dim, "hidden": args.hidden}
    config = TrainConfig(dataset=f"demo:{spec.key()}", epochs=args.epochs, seed=args.seed, lr=args.lr,
                         weight_decay=1e-4, patience=args.patience, threads=args.threads,
                         out=args.data_dir / "runs" / "embedder-benchmark", register=False, extra=extra)  # fmt: skip
    command = reproduce_command(config, spec)
    started = time.perf_counter()
    run, _ = run_training(settings, config, spec, command, activate=False, echo=print)
    wall = time.perf_counter() - started
    machine = f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}, CPU only"
    write_report(run.test, command, machine, wall, run.seconds, run.best_epoch, run.epochs, run.parity, spec)
    frozen, tuned = run.test["frozen"], run.test["fine-tuned"]
    print(f"machine: {machine}")
    print(f"frozen backbone: recall@1 {frozen['recall@1']:.3f}, recall@10 {frozen['recall@10']:.3f}")
    print(f"fine-tuned head: recall@1 {tuned['recall@1']:.3f}, recall@10 {tuned['recall@10']:.3f}")
    print(f"wall time {wall:.0f} s (training and measuring {run.seconds:.0f} s); report: {REPORT / 'embedder.md'}")
    if args.save_default:
        write_default(run.onnx_path.parent, args.save_default, card(config, spec, command, run.test), run.test)
        print(f"default head written to {args.save_default}")


def write_report(
    test: dict[str, dict[str, float]], command: str, machine: str, wall: float, train_s: float, best: int,
    epochs: int, parity: float, spec: FeatureSpec,
) -> None:  # fmt: skip
    frozen, tuned = test["frozen"], test["fine-tuned"]
    styles = sorted({k.split("/")[0] for k in tuned if "/" in k})
    lines = [
        "# Embedder fine-tuning: exact-item retrieval of shopper-style photos", "",
        f"Command: `.venv/bin/python benchmarks/train_embedder.py` (trains as `{command}`)", f"Machine: {machine}",
        f"Wall time: {wall:.0f} s for this run (training + measuring {train_s:.0f} s); best epoch {best} of "
        f"{epochs}; ONNX parity {parity:.1e}. {features_note(spec)}", "",
        f"Queries: {int(sum(tuned[f'{s}/queries'] for s in styles))} shopper-style photos of demo catalog items "
        f"(made like `stylelens eval vision` makes them: seed {spec.seed}, styles in turn, spread over the catalog). "
        f"Gallery: all {spec.catalog} demo catalog packshots, embedded by the same model as the queries. "
        "The head was trained on other products only (demo products from index 20000, other Fashion-MNIST "
        f"pictures: {spec.train_products} for training, {spec.val_products} for early stopping, each as its "
        f"packshot and {spec.views} shopper photos of other seeds), so every query is an unseen product.", "",
        "| embedder | recall@1 | recall@5 | recall@10 |", "|---|---|---|---|",
        f"| frozen MobileNetV2 (1280-d) | {frozen['recall@1']:.3f} | {frozen['recall@5']:.3f} | "
        f"{frozen['recall@10']:.3f} |",
        f"| fine-tuned (MobileNetV2 + projection head) | {tuned['recall@1']:.3f} | {tuned['recall@5']:.3f} | "
        f"{tuned['recall@10']:.3f} |",
        *initial_row(test),
        f"| difference fine-tuned - frozen (points) | {100 * (tuned['recall@1'] - frozen['recall@1']):+.1f} | "
        f"{100 * (tuned['recall@5'] - frozen['recall@5']):+.1f} | "
        f"{100 * (tuned['recall@10'] - frozen['recall@10']):+.1f} |", "",
        "## By photo style", "",
        "| style | queries | recall@1 frozen | recall@1 fine-tuned | recall@10 frozen | recall@10 fine-tuned |",
        "|---|---|---|---|---|---|",
    ]  # fmt: skip
    for s in styles:
        lines.append(
            f"| {s} | {int(tuned[f'{s}/queries'])} | {frozen[f'{s}/recall@1']:.3f} | {tuned[f'{s}/recall@1']:.3f} | "
            f"{frozen[f'{s}/recall@10']:.3f} | {tuned[f'{s}/recall@10']:.3f} |"
        )
    REPORT.mkdir(parents=True, exist_ok=True)
    (REPORT / "embedder.md").write_text("\n".join(lines) + "\n")
    (REPORT / "embedder.json").write_text(json.dumps({"command": command, "machine": machine, **test}, indent=2))


def initial_row(test: dict[str, dict[str, float]]) -> list[str]:
    """The head's closed-form start (linear discriminant analysis) before the loss trained it."""
    if "fisher-init" not in test:
        return []
    s = test["fisher-init"]
    label = "its start: discriminant analysis only, before the loss"
    return [f"| {label} | {s['recall@1']:.3f} | {s['recall@5']:.3f} | {s['recall@10']:.3f} |"]


def features_note(spec: FeatureSpec) -> str:
    """What reading the photos cost, from the cache's spec.json (they are read once per spec)."""
    path = Path("var/datasets/embedder-features") / spec.key() / "spec.json"
    seconds = json.loads(path.read_text()).get("seconds") if path.is_file() else None
    if seconds is None:
        return "The photos' backbone vectors came from the cache of an earlier run."
    return (
        f"Reading the {spec.train_products + spec.val_products} products' photos and the test set through "
        f"the serving pipeline (cached for later runs) took {seconds} s when the cache was built."
    )


if __name__ == "__main__":
    main()
