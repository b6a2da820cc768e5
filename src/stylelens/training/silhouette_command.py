"""`stylelens train silhouette`: train the silhouette classifier (see `training.silhouette`) and write its folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stylelens.training.silhouette_data import FIRST, PHOTOS


def silhouette(
    products: Annotated[int, typer.Option(help="Demo products outside the catalog to learn from")] = 8000,
    photos: Annotated[int, typer.Option(help="Shopper-style photos per product (besides its packshot)")] = PHOTOS,
    first: Annotated[int, typer.Option(help="First training product (the catalog holds the first ones)")] = FIRST,
    epochs: Annotated[int, typer.Option(help="Epochs (the best on the held-out products is kept)")] = 40,
    seed: Annotated[int, typer.Option(help="Seeds the network's initialisation and batch order")] = 0,
    threads: Annotated[int, typer.Option(help="Torch and ONNX Runtime threads")] = 2,
    out: Annotated[Path | None, typer.Option(help="Model folder (default: <data_dir>/runs/silhouette)")] = None,
) -> None:
    """Train the silhouette classifier on garments as the pipeline cuts them out of shopper-style photos.

    The descriptors are cached beside the run (<data_dir>/runs/silhouette-data), so a second run with other
    training settings starts at once. Pass `--out models/silhouette` to replace the committed default.
    """
    from rich.progress import Progress

    from stylelens.catalog.demo import CATEGORIES
    from stylelens.config import get_settings
    from stylelens.services import Services
    from stylelens.training.silhouette import train_silhouette
    from stylelens.training.silhouette_data import SilhouetteData, silhouette_data

    settings = get_settings()
    runs = Path(settings.storage.data_dir) / "runs"
    folder = out or runs / "silhouette"
    cache = runs / "silhouette-data" / f"data-{first}-{products}-{photos}-7.npz"
    if cache.is_file():
        data = SilhouetteData.load(str(cache))
        typer.echo(f"descriptors from {cache}")
    else:
        analyser = Services(settings).analyser
        analyser.load()
        with Progress(transient=True) as progress:
            task = progress.add_task("silhouettes of shopper-style photos", total=products)
            data = silhouette_data(
                analyser, products, first=first, photos=photos, progress=lambda n: progress.advance(task, n)
            )
        cache.parent.mkdir(parents=True, exist_ok=True)
        data.save(str(cache))
    command = (
        f"stylelens train silhouette --products {products} --photos {photos} --first {first} --epochs {epochs} "
        f"--seed {seed} --threads {threads}"
    )
    described = (
        f"{products} demo products outside the demo catalog (from index {first}: other Fashion-MNIST *train* "
        f"pictures, colours and prints), each as its packshot with its exact mask and {photos} shopper-style "
        "photos (busy, sheet, cast, occluded, worn) read by the serving GarmentAnalyser; "
        f"{len(data.labels)} descriptors. Command: `{command}`."
    )
    run = train_silhouette(
        data, folder, CATEGORIES, epochs=epochs, seed=seed, threads=threads, log=typer.echo,
        card_extra={"data": described, "command": command},
    )  # fmt: skip
    typer.echo(
        f"held-out accuracy {run.metrics['val_accuracy']:.4f} (best epoch {int(run.metrics['best_epoch'])}); "
        f"written to {run.folder}"
    )
