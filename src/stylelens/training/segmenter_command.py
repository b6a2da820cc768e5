"""`stylelens data synth` and `stylelens train segmenter`: the garment segmenter's data and training commands."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

if TYPE_CHECKING:  # torch is imported only when training runs
    from stylelens.config import Settings
    from stylelens.training.common import TrainConfig

DEFAULT_DATASET = "synthetic-garments"
console = Console(stderr=True)


@contextmanager
def _bar(description: str, total: int) -> Iterator[Callable[[], None]]:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda: bar.advance(task)


def synth(
    out: Annotated[Path | None, typer.Option(help="Dataset folder (default: <data_dir>/datasets/<name>)")] = None,
    name: Annotated[str, typer.Option(help="The dataset's name")] = DEFAULT_DATASET,
    products: Annotated[int, typer.Option(help="Demo-catalog products to paste (split by product)")] = 600,
    per_product: Annotated[int, typer.Option(help="Composites per product")] = 4,
    side: Annotated[int, typer.Option(help="Side of each square composite, pixels")] = 224,
    seed: Annotated[int, typer.Option(help="Same seed, same dataset")] = 0,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing dataset")] = False,
) -> None:
    """Write synthetic segmentation composites: catalog garments on real photos, flat-lays and people, exact masks."""
    from stylelens.config import get_settings
    from stylelens.data.manifest import DatasetError, default_dataset_dir
    from stylelens.data.synthetic import write_dataset

    root = out or default_dataset_dir(get_settings().storage.data_dir, name)
    try:
        with _bar("Composites", products * per_product) as advance:
            dataset = write_dataset(root, name=name, overwrite=overwrite, products=products,
                                    per_product=per_product, side=side, seed=seed, on_item=advance)  # fmt: skip
    except DatasetError as exc:
        console.print(f"[red]error:[/red] {exc.detail}")
        raise typer.Exit(1) from None
    typer.echo(f"{dataset.root}: {dataset.meta['splits']}")


def segmenter(
    dataset: Annotated[str, typer.Option(help="Dataset name (under <data_dir>/datasets) or folder")] = DEFAULT_DATASET,
    epochs: Annotated[int, typer.Option(help="Most epochs (early stopping may end sooner)")] = 8,
    seed: Annotated[int, typer.Option(help="Seeds initialisation, batch order and augmentation")] = 0,
    resume: Annotated[bool, typer.Option(help="Continue from the run's latest checkpoint")] = False,
    out: Annotated[Path | None, typer.Option(help="Checkpoints, exports (default: <data_dir>/runs/segmenter)")] = None,
    batch_size: Annotated[int, typer.Option(help="Photos per step")] = 16,
    lr: Annotated[float, typer.Option(help="AdamW learning rate of the decoder (encoder: 0.3x)")] = 1e-3,
    input_size: Annotated[int, typer.Option(help="Network input side, a multiple of 32")] = 160,
    patience: Annotated[int, typer.Option(help="Epochs without a better val mIoU before stopping")] = 3,
    threads: Annotated[int | None, typer.Option(help="Torch threads (default: settings)")] = None,
    limit: Annotated[int | None, typer.Option(help="Use only the first N photos of each split (quick trials)")] = None,
    register: Annotated[bool, typer.Option(help="Put the exported model in the model registry")] = True,
    activate: Annotated[bool, typer.Option(help="Make the new version the one serving loads")] = False,
) -> None:
    """Train the garment segmenter (MobileNetV2 + FPN) on a segmentation dataset; export to ONNX; register."""
    from stylelens.config import get_settings
    from stylelens.training.common import TrainConfig

    if input_size % 32:
        raise typer.BadParameter("must be a multiple of 32", param_hint="--input-size")
    settings = get_settings()
    root = resolve_dataset(settings, dataset)
    config = TrainConfig(dataset=str(root), epochs=epochs, seed=seed, batch_size=batch_size, lr=lr,
                         weight_decay=1e-4, patience=patience, out=out, resume=resume, threads=threads, limit=limit,
                         register=register, extra={"input_size": input_size})  # fmt: skip
    command = reproduce_command(dataset, epochs, seed, batch_size, lr, input_size, patience, limit)
    run_training(settings, config, command, activate=activate)


def resolve_dataset(settings: Settings, dataset: str) -> Path:
    """A dataset folder from a name or a path."""
    from stylelens.data.manifest import default_dataset_dir

    path = Path(dataset)
    return path if path.is_dir() else default_dataset_dir(settings.storage.data_dir, dataset)


def reproduce_command(dataset: str, epochs: int, seed: int, batch: int, lr: float, side: int, patience: int,
                      limit: int | None) -> str:  # fmt: skip
    parts = ["stylelens train segmenter", f"--dataset {shlex.quote(dataset)}", f"--epochs {epochs}", f"--seed {seed}",
             f"--batch-size {batch}", f"--lr {lr}", f"--input-size {side}", f"--patience {patience}"]  # fmt: skip
    return " ".join(parts + ([f"--limit {limit}"] if limit else []))


def run_training(settings: Settings, config: TrainConfig, command: str, *, activate: bool) -> None:
    """Train with a progress bar per epoch, print the scores, register; exit 1 on a user error."""
    from stylelens.errors import StyleLensError
    from stylelens.training.registry import ModelRegistry
    from stylelens.training.segmenter import train_segmenter
    from stylelens.training.segmenter_export import register_segmenter

    bars: list[TaskID] = []
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        TimeRemainingColumn(), console=console, transient=True)  # fmt: skip

    def on_step(step: int, total: int) -> None:
        if step == 1:
            bars.append(progress.add_task("epoch", total=total))
        progress.advance(bars[-1])

    def on_epoch(epoch: int, scores: dict[str, float]) -> None:
        console.print(f"epoch {epoch}: " + ", ".join(f"{k} {v:.4f}" for k, v in scores.items()))

    try:
        with progress:
            run = train_segmenter(settings, config, command=command, on_step=on_step, on_epoch=on_epoch)
        version = None
        if config.register:
            registry = ModelRegistry(settings.registry_dir)
            version = register_segmenter(registry, run.onnx_path.parent, activate=activate)
    except StyleLensError as exc:
        console.print(f"[red]error:[/red] {exc.detail}")
        raise typer.Exit(1) from None
    test = run.test
    typer.echo(f"test (held-out products on held-out backgrounds): mIoU {test['miou']:.4f} "
               f"(garment IoU {test['iou_garment']:.4f}, background IoU {test['iou_background']:.4f})")  # fmt: skip
    typer.echo(f"best epoch {run.best_epoch} of {run.epochs}; ONNX parity {run.parity:.1e}; {run.seconds:.0f} s")
    if version:
        typer.echo(f"registered segmenter {version}" + (" (active)" if activate else ""))
