"""`stylelens train embedder`: the command line of the embedder head's training (see `training.embedder`)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:  # torch is imported only when the command runs
    from stylelens.config import Settings
    from stylelens.training.common import TrainConfig
    from stylelens.training.embedder import EmbedderRun
    from stylelens.training.embedder_data import FeatureSpec
    from stylelens.vision.analysis import GarmentAnalyser


def embedder(
    dataset: Annotated[str, typer.Option(help="'demo': products generated outside the demo catalog")] = "demo",
    epochs: Annotated[int, typer.Option(help="Most epochs (early stopping may end sooner)")] = 30,
    seed: Annotated[int, typer.Option(help="Seeds the head's initialisation and batch order")] = 0,
    resume: Annotated[bool, typer.Option(help="Continue from the run's latest checkpoint")] = False,
    out: Annotated[Path | None, typer.Option(help="Checkpoints, exports (default: <data_dir>/runs/embedder)")] = None,
    train_products: Annotated[int, typer.Option(help="Products the head learns from")] = 2000,
    val_products: Annotated[int, typer.Option(help="Products for early stopping")] = 200,
    views: Annotated[int, typer.Option(help="Shopper-style photos per training product")] = 4,
    queries: Annotated[int, typer.Option(help="Test shopper photos of demo catalog items")] = 1200,
    catalog: Annotated[int, typer.Option(help="Test gallery: the first N demo catalog packshots")] = 2400,
    loss: Annotated[str, typer.Option(help="proxy_anchor or supcon")] = "proxy_anchor",
    out_dim: Annotated[int, typer.Option(help="Size of the search vectors")] = 256,
    hidden: Annotated[int, typer.Option(help="Width of the head's residual layer (0: linear head)")] = 256,
    lr: Annotated[float, typer.Option(help="AdamW learning rate")] = 1e-4,
    patience: Annotated[int, typer.Option(help="Epochs without a better val recall@1 before stopping")] = 6,
    threads: Annotated[int | None, typer.Option(help="Torch and ONNX threads (default: settings)")] = None,
    limit: Annotated[int | None, typer.Option(help="Use only the first N training products (quick trials)")] = None,
    register: Annotated[bool, typer.Option(help="Put the exported head in the model registry")] = True,
    activate: Annotated[bool, typer.Option(help="Serve the new head (then run `stylelens index rebuild`)")] = False,
    save_default: Annotated[Path | None, typer.Option(help="Also write the head as the committed default")] = None,
) -> None:
    """Fine-tune the garment embedder: a projection head on the frozen backbone, with a metric-learning loss."""
    from stylelens.config import get_settings
    from stylelens.training.common import TrainConfig
    from stylelens.training.embedder_data import FeatureSpec

    if dataset != "demo":
        raise typer.BadParameter("the embedder trains on the generated 'demo' products only", param_hint="--dataset")
    settings = get_settings()
    spec = FeatureSpec(seed=7, train_products=train_products, val_products=val_products, views=views,
                       catalog=catalog, queries=queries)  # fmt: skip
    extra = {"loss": loss, "out_dim": out_dim, "hidden": hidden}
    config = TrainConfig(dataset=f"demo:{spec.key()}", epochs=epochs, seed=seed, lr=lr, weight_decay=1e-4,
                         patience=patience, out=out, resume=resume, threads=threads, limit=limit,
                         register=register, extra=extra)  # fmt: skip
    command = reproduce_command(config, spec)
    run, version = run_training(settings, config, spec, command, activate=activate, echo=typer.echo)
    frozen, tuned = run.test["frozen"], run.test["fine-tuned"]
    typer.echo(f"test (demo catalog, {int(sum(v for k, v in tuned.items() if k.endswith('/queries')))} queries "
               f"against {catalog} packshots): recall@1 {frozen['recall@1']:.3f} -> {tuned['recall@1']:.3f}, "
               f"recall@10 {frozen['recall@10']:.3f} -> {tuned['recall@10']:.3f}")  # fmt: skip
    typer.echo(f"best epoch {run.best_epoch} of {run.epochs}; ONNX parity {run.parity:.1e}; {run.seconds:.0f} s")
    if version:
        typer.echo(f"registered embedder {version}" + (" (active: run `stylelens index rebuild`)" if activate else ""))
    if save_default is not None:
        write_default(run.onnx_path.parent, save_default, card(config, spec, command, run.test), run.test)
        typer.echo(f"default head written to {save_default}")


def reproduce_command(config: TrainConfig, spec: FeatureSpec) -> str:
    """The exact command line that trains this head again."""
    extra = config.extra
    parts = [
        "stylelens train embedder", f"--epochs {config.epochs}", f"--seed {config.seed}",
        f"--train-products {spec.train_products}", f"--val-products {spec.val_products}", f"--views {spec.views}",
        f"--queries {spec.queries}", f"--catalog {spec.catalog}", f"--loss {extra['loss']}",
        f"--out-dim {extra['out_dim']}", f"--hidden {extra['hidden']}", f"--lr {config.lr}",
        f"--patience {config.patience}",
    ]  # fmt: skip
    if config.limit:
        parts.append(f"--limit {config.limit}")
    return " ".join(parts)


def run_training(
    settings: Settings,
    config: TrainConfig,
    spec: FeatureSpec,
    command: str,
    *,
    activate: bool,
    echo: Callable[[str], None],
) -> tuple[EmbedderRun, str | None]:
    """Build (or read) the cached features, train, register; returns the run and the registered version."""
    from stylelens.training.embedder import train_embedder
    from stylelens.training.embedder_data import build_features
    from stylelens.training.registry import ModelRegistry

    analyser = frozen_analyser(settings, config.threads or settings.training.threads or 1)
    cache = settings.storage.data_dir / "datasets" / "embedder-features"
    counts: dict[str, int] = {}

    def progress(name: str, k: int) -> None:
        counts[name] = counts.get(name, 0) + k
        if counts[name] % 1000 == 0:
            echo(f"  {name}: {counts[name]} photos read")

    sets = build_features(analyser, spec, cache, progress)

    def on_epoch(epoch: int, scores: dict[str, float]) -> None:
        echo(f"epoch {epoch}: " + ", ".join(f"{k} {v:.4f}" for k, v in scores.items()))

    run = train_embedder(settings, config, sets, command=command, on_epoch=on_epoch)
    version = None
    if config.register:
        registry = ModelRegistry(settings.registry_dir)
        tuned = run.test["fine-tuned"]
        metrics = {f"test_{k}".replace("@", "_at_").replace("/", "_"): v for k, v in tuned.items()}
        metrics |= {"frozen_test_recall_at_1": run.test["frozen"]["recall@1"],
                    "frozen_test_recall_at_10": run.test["frozen"]["recall@10"],
                    "val_recall_at_1": run.val_recall_at_1}  # fmt: skip
        files = [run.onnx_path.parent / "head.json", run.onnx_path.parent / "run.json"]
        version = registry.register("embedder", run.onnx_path, card(config, spec, command, run.test), metrics, files)
        if activate:
            active = registry.activate("embedder", version)
            train_category_heads(settings, active.path)
    return run, version


def frozen_analyser(settings: Settings, threads: int) -> GarmentAnalyser:
    """The serving pipeline with the frozen backbone (no head): what the head's input vectors are made by."""
    from stylelens.vision.analysis import GarmentAnalyser
    from stylelens.vision.embedder import Embedder
    from stylelens.vision.person import PersonFinder

    return GarmentAnalyser(Embedder(settings.models_dir, settings.vision.backbone, threads=threads), None, None,
                           PersonFinder())  # fmt: skip


def train_category_heads(settings: Settings, head: Path) -> None:
    """The category and pattern heads for the newly active embedder (they read its vectors)."""
    from stylelens.vision.embedder import Embedder
    from stylelens.vision.head_training import heads_current, train_heads

    embedder = Embedder(settings.models_dir, settings.vision.backbone, projection=head)
    if not heads_current(settings.models_dir, embedder.identity):
        train_heads(settings.models_dir, embedder.identity, embedder=embedder)


def card(config: TrainConfig, spec: FeatureSpec, command: str, test: dict[str, dict[str, float]]) -> dict[str, Any]:
    """The model card's sections for a trained embedder head."""
    from stylelens.training.common import machine_summary
    from stylelens.training.embedder import knobs

    frozen, tuned = test["frozen"], test["fine-tuned"]
    recipe = knobs(config)
    return {
        "title": "StyleLens garment embedder head (MobileNetV2 + projection)",
        "intended_use": "Visual search: embeds a masked garment crop so a shopper's photo of a garment is closest "
        "to that garment's catalog packshot. Runs after the frozen MobileNetV2 backbone in the serving embedder.",
        "data": f"Demo products generated from Fashion-MNIST *train* pictures outside the demo catalog "
        f"({spec.train_products} products from index 20000, {spec.val_products} more for early stopping), each as "
        f"its packshot plus {spec.views} shopper-style photos (busy/sheet/cast/occluded/worn; "
        "stylelens.evaluation.shopper). Test: the demo catalog's first "
        f"{spec.catalog} packshots as the gallery, {spec.queries} shopper photos of catalog items as queries.",
        "metrics": {
            "test recall@1 (frozen backbone)": frozen["recall@1"],
            "test recall@1 (this head)": tuned["recall@1"],
            "test recall@10 (frozen backbone)": frozen["recall@10"],
            "test recall@10 (this head)": tuned["recall@10"],
        },  # fmt: skip
        "limits": [
            "Trained only on synthetic shopper-style photos of recoloured Fashion-MNIST garments; real photos "
            "(lighting, folds, several garments) may gain less.",
            "Vectors are not comparable with the frozen backbone's or another head's: activating or rolling back "
            "needs `stylelens index rebuild`.",
            "The backbone's ImageNet weights limit use to non-commercial research (see the backbone's card).",
        ],
        "training": {
            "method": "projection head on the frozen backbone's L2-normalised vector: initialised by linear "
            "discriminant analysis of the training photos (init=fisher), then trained with the metric-learning loss "
            "(class = product), AdamW, cosine schedule, early stopping on val recall@1",
            **{k: recipe[k] for k in ("loss", "init", "shrink", "out_dim", "hidden", "dropout", "products_per_batch")},
            "lr": config.lr,
            "seed": config.seed,
            "epochs (max)": config.epochs,
            "patience": config.patience,
            "machine": machine_summary(),
        },
        "command": command,
    }


def write_default(export_dir: Path, target: Path, card_sections: dict[str, Any], test: dict[str, Any]) -> None:
    """Copy the exported head where `models prepare` finds the committed default."""
    target.mkdir(parents=True, exist_ok=True)
    for name in ("model.onnx", "head.json", "run.json"):
        shutil.copyfile(export_dir / name, target / name)
    (target / "card.json").write_text(json.dumps(card_sections, indent=2) + "\n")
    tuned = test["fine-tuned"]
    metrics = {"test_recall_at_1": tuned["recall@1"], "test_recall_at_10": tuned["recall@10"],
               "frozen_test_recall_at_1": test["frozen"]["recall@1"],
               "frozen_test_recall_at_10": test["frozen"]["recall@10"]}  # fmt: skip
    (target / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    from stylelens.training.registry import render_card, sha256_file

    meta = {"kind": "embedder", "version": "committed default", "created": date.today().isoformat(),
            "onnx_sha256": sha256_file(target / "model.onnx"), "metrics": metrics, "card": card_sections}  # fmt: skip
    (target / "card.md").write_text(render_card(meta))
