"""`stylelens train classifier` and `stylelens models list|activate|rollback` (thin: parse, call, print)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

console = Console(stderr=True)


def classifier(
    dataset: Annotated[str, typer.Option(help="'fashion-mnist', a prepared dataset folder or its name")],
    epochs: Annotated[int | None, typer.Option(help="Training epochs (recipe: 20)")] = None,
    seed: Annotated[int, typer.Option(help="Seed of every random choice")] = 0,
    batch_size: Annotated[int | None, typer.Option(help="Pictures per step (recipe: 128)")] = None,
    lr: Annotated[float | None, typer.Option(help="Peak one-cycle learning rate (recipe: 0.2)")] = None,
    weight_decay: Annotated[float | None, typer.Option(help="Recipe: 5e-4")] = None,
    patience: Annotated[
        int | None, typer.Option(help="Stop after N epochs without a better val score (0: never)")
    ] = None,
    width: Annotated[int | None, typer.Option(help="Network width (recipe: 48)")] = None,
    erase: Annotated[float | None, typer.Option(help="Random-erasing probability (recipe: 0)")] = None,
    precision: Annotated[str | None, typer.Option(help="auto | bf16 | fp32")] = None,
    mirror_average: Annotated[
        bool | None, typer.Option("--mirror-average/--no-mirror-average", help="Average with the mirror image")
    ] = None,
    threads: Annotated[
        int | None, typer.Option(help="Torch threads (default: settings.training.threads, else all cores)")
    ] = None,
    device: Annotated[str | None, typer.Option(help="cpu | cuda (default: CUDA when present)")] = None,
    limit: Annotated[int | None, typer.Option(help="Use only the first N training pictures")] = None,
    out: Annotated[Path | None, typer.Option(help="Run folder (default: <data_dir>/runs/classifier/<dataset>)")] = None,
    resume: Annotated[bool, typer.Option(help="Continue from the run folder's latest checkpoint")] = False,
    register: Annotated[bool, typer.Option(help="Register the exported model")] = True,
) -> None:
    """Train the garment classifier, export it to ONNX and register it with its model card."""
    from stylelens.config import get_settings
    from stylelens.errors import StyleLensError
    from stylelens.training.classifier import EpochReport, train_classifier
    from stylelens.training.classifier_recipe import classifier_config

    config = classifier_config(
        dataset,
        epochs=epochs,
        seed=seed,
        batch_size=batch_size,
        lr=lr,
        weight_decay=weight_decay,
        patience=patience,
        width=width,
        erase=erase,
        precision=precision,
        mirror_average=mirror_average,
        threads=threads,
        device=device,
        limit=limit,
        out=out,
        resume=resume,
        register=register,
    )
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, TimeRemainingColumn(), console=console, transient=False) as bar:
        epochs_task = bar.add_task("epochs", total=config.epochs)
        batch_task = bar.add_task("batches", total=None)

        def on_batch(done: int, total: int) -> None:
            bar.update(batch_task, completed=done, total=total)

        def on_epoch(report: EpochReport) -> None:
            bar.update(epochs_task, completed=report.epoch)
            mark = " (best)" if report.best else ""
            bar.console.print(
                f"epoch {report.epoch}/{report.epochs}: loss {report.train_loss:.4f}, "
                f"val accuracy {report.val_acc:.4f}{mark}, {report.seconds:.0f} s"
            )

        try:
            result = train_classifier(config, get_settings(), on_epoch=on_epoch, on_batch=on_batch)
        except StyleLensError as exc:
            console.print(f"[red]error:[/red] {exc.detail}")
            raise typer.Exit(1) from exc
    typer.echo(f"test accuracy {result.test_acc:.4f} (ONNX Runtime, best epoch {result.best_epoch})")
    typer.echo(f"val accuracy {result.val_acc:.4f}; ONNX parity {result.parity:.1e}; {result.seconds:.0f} s")
    if result.version:
        from stylelens.training.registry import ModelRegistry

        active = ModelRegistry(get_settings().registry_dir).active("classifier")
        if active is not None and active.version == result.version:
            typer.echo(f"registered classifier {result.version} (active: it is the first)")
        else:
            typer.echo(
                f"registered classifier {result.version}; serve it with: stylelens models activate classifier "
                f"{result.version}"
            )
    typer.echo(f"model: {result.onnx_path}")


def models_list(kind: Annotated[str | None, typer.Argument(help="classifier | segmenter | embedder")] = None) -> None:
    """List the registered model versions, their metrics, and which one is active."""
    from stylelens.config import get_settings
    from stylelens.training.registry import KINDS, ModelRegistry

    registry = ModelRegistry(get_settings().registry_dir)
    table = Table("kind", "version", "active", "created", "metrics", "parent")
    for name in [kind] if kind else list(KINDS):
        active = registry.active(name)
        for version in registry.versions(name):
            metrics = ", ".join(
                f"{k} {v:.4f}" if abs(v) >= 1e-3 else f"{k} {v:.1e}" for k, v in version.metrics.items()
            )
            mark = "*" if active and active.version == version.version else ""
            table.add_row(
                name, version.version, mark, version.meta["created"], metrics, version.meta.get("parent") or ""
            )
    Console().print(table)


def models_activate(
    kind: Annotated[str, typer.Argument(help="classifier | segmenter | embedder")],
    version: Annotated[str, typer.Argument(help="e.g. v2")],
) -> None:
    """Make a registered version the one serving loads."""
    from stylelens.config import get_settings
    from stylelens.errors import StyleLensError
    from stylelens.training.registry import ModelRegistry

    try:
        chosen = ModelRegistry(get_settings().registry_dir).activate(kind, version)
    except StyleLensError as exc:
        console.print(f"[red]error:[/red] {exc.detail}")
        raise typer.Exit(1) from exc
    typer.echo(f"active {kind}: {chosen.version} ({chosen.onnx_path})")


def models_rollback(kind: Annotated[str, typer.Argument(help="classifier | segmenter | embedder")]) -> None:
    """Re-activate the version that was active before the current one."""
    from stylelens.config import get_settings
    from stylelens.errors import StyleLensError
    from stylelens.training.registry import ModelRegistry

    try:
        chosen = ModelRegistry(get_settings().registry_dir).rollback(kind)
    except StyleLensError as exc:
        console.print(f"[red]error:[/red] {exc.detail}")
        raise typer.Exit(1) from exc
    typer.echo(f"rolled back: active {kind} is {chosen.version} ({chosen.onnx_path})")


def eval_compare(
    kind: Annotated[str, typer.Argument(help="classifier (the only kind compared so far)")],
    version_a: Annotated[str, typer.Argument(help="e.g. v1")],
    version_b: Annotated[str, typer.Argument(help="e.g. v2")],
    dataset: Annotated[str, typer.Option(help="'fashion-mnist', a prepared dataset folder or its name")],
    split: Annotated[str, typer.Option(help="train | val | test")] = "test",
    limit: Annotated[int | None, typer.Option(help="Only the first N pictures of the split")] = None,
    out: Annotated[Path, typer.Option(help="Folder for compare.md, compare.json and the PNGs")] = Path(
        "var/eval/compare"
    ),
) -> None:
    """Compare two registered model versions on the same pictures: Markdown report and PNG plots."""
    from stylelens.config import get_settings
    from stylelens.errors import StyleLensError
    from stylelens.training.evaluate import compare_classifiers
    from stylelens.training.registry import ModelRegistry

    if kind != "classifier":
        console.print(f"[red]error:[/red] eval compare supports classifier versions only, not {kind!r}")
        raise typer.Exit(2)
    settings = get_settings()
    try:
        summary = compare_classifiers(
            ModelRegistry(settings.registry_dir),
            version_a,
            version_b,
            dataset,
            out,
            settings.storage.data_dir,
            split=split,
            limit=limit,
        )
    except StyleLensError as exc:
        console.print(f"[red]error:[/red] {exc.detail}")
        raise typer.Exit(1) from exc
    for version, scores in summary["versions"].items():
        typer.echo(f"{version}: accuracy {scores['accuracy']:.4f} on {summary['pictures']} {split} pictures")
    typer.echo(f"disagreements {summary['disagreements']}; report: {out / 'compare.md'}")
