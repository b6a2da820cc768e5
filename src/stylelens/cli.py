"""The StyleLens command line: serve the app, prepare models, build and import the catalog, rebuild the index."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from stylelens.config import get_settings
from stylelens.errors import StyleLensError
from stylelens.observability import configure_logging
from stylelens.services import Services

app = typer.Typer(help="StyleLens: visual search over Fashion-Insta's catalog.", no_args_is_help=True)
catalog_app = typer.Typer(help="Build and import the catalog.", no_args_is_help=True)
index_app = typer.Typer(help="The vector index.", no_args_is_help=True)
models_app = typer.Typer(help="The vision models.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")
app.add_typer(index_app, name="index")
app.add_typer(models_app, name="models")
console = Console(stderr=True)


@contextmanager
def progress(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr; yields the function that advances it."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)


def _fail(exc: StyleLensError) -> None:
    console.print(f"[red]error:[/red] {exc.detail}")
    raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Defaults to settings (STYLELENS_API__HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Defaults to settings (STYLELENS_API__PORT)")] = None,
) -> None:
    """Serve the API and the shopper app."""
    import uvicorn

    from stylelens.api.app import create_app

    settings = get_settings()
    configure_logging()
    uvicorn.run(
        create_app(settings), host=host or settings.api.host, port=port or settings.api.port, log_level="warning"
    )


@models_app.command("prepare")
def models_prepare() -> None:
    """Export the ImageNet backbones that ship in packages to ONNX (cached; needs the `train` extra)."""
    try:
        from stylelens.training.export import prepare_models
    except ImportError as exc:
        console.print(f"[red]error:[/red] preparing models needs the train extra ({exc.name} is missing)")
        raise typer.Exit(1) from exc
    settings = get_settings()
    with console.status("Preparing models"):
        paths = prepare_models(settings.models_dir)
        from stylelens.training.export_text import prepare_text_model  # MiniLM for text match (recommend)

        paths.append(prepare_text_model(settings.models_dir))
    for path in paths:
        console.print(f"model ready: {path}")


@catalog_app.command("demo")
def catalog_demo(
    seed: Annotated[int | None, typer.Option(help="Defaults to settings (STYLELENS_CATALOG__DEMO_SEED)")] = None,
    size: Annotated[int | None, typer.Option(help="Number of products")] = None,
    force: Annotated[bool, typer.Option(help="Rebuild even if this demo is already there")] = False,
) -> None:
    """Build the demo catalog deterministically from a seed, with images, masks and ground truth."""
    from stylelens.catalog.demo_feed import demo_catalog_items

    settings = get_settings()
    seed = settings.catalog.demo_seed if seed is None else seed
    size = size or settings.catalog.demo_size
    services = Services(settings)
    if not force and services.demo_marker() == {"seed": seed, "size": size}:
        console.print(f"demo catalog (seed {seed}, {size} products) already built")
        return
    try:
        with progress("Demo catalog", size) as advance:
            items = demo_catalog_items(seed, size, settings.catalog.shop_url)
            report = services.ingestor.ingest(items, on_progress=advance)
    except StyleLensError as exc:
        _fail(exc)
    services.mark_demo(seed, size)
    console.print(f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}")


@catalog_app.command("import")
def catalog_import(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A CSV catalog")]) -> None:
    """Import products from a CSV file; bad rows are reported and skipped."""
    from stylelens.catalog.csv_feed import RowError, read_csv_catalog

    settings = get_settings()
    services = Services(settings)
    errors: list[RowError] = []
    try:
        with progress(f"Importing {file.name}", None) as advance:
            items = read_csv_catalog(
                file, max_bytes=settings.vision.max_bytes, max_pixels=settings.vision.max_pixels, errors=errors
            )
            report = services.ingestor.ingest(items, on_progress=advance)
    except StyleLensError as exc:
        _fail(exc)
    console.print(
        f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, rejected {len(errors)}"
    )
    for error in errors:
        console.print(f"  line {error.line} ({error.product_id}): {error.reason}")
    if errors and not report.processed:
        raise typer.Exit(1)


@index_app.command("rebuild")
def index_rebuild() -> None:
    """Rebuild the vector index from the embeddings stored in the catalog database."""
    from stylelens.index.rebuild import count_indexable, rebuild_index

    services = Services(get_settings())
    with progress("Rebuilding index", count_indexable(services.sessions)) as advance:
        count = rebuild_index(services.sessions, services.index, on_progress=advance)
    console.print(f"index rebuilt: {count} items")


if __name__ == "__main__":
    app()
