"""What every StyleLens command shares: the Typer app and its command groups, the console, progress bars and the
way a domain error ends a command."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from stylelens.errors import StyleLensError

app = typer.Typer(help="StyleLens: visual search over Fashion-Insta's catalog.", no_args_is_help=True)
catalog_app = typer.Typer(help="Build and import the catalog.", no_args_is_help=True)
index_app = typer.Typer(help="The vector index.", no_args_is_help=True)
models_app = typer.Typer(help="The vision models.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")
app.add_typer(index_app, name="index")
app.add_typer(models_app, name="models")
apikey_app = typer.Typer(help="API keys for the shop's systems.", no_args_is_help=True)
app.add_typer(apikey_app, name="apikey")
eval_app = typer.Typer(help="Offline evaluation reports.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
train_app = typer.Typer(help="Train the vision models (needs the `train` extra).", no_args_is_help=True)
app.add_typer(train_app, name="train")
data_app = typer.Typer(help="Training datasets: prepare them, check them for leakage.", no_args_is_help=True)
app.add_typer(data_app, name="data")
privacy_app = typer.Typer(help="Shoppers' personal data: retention and erasure jobs.", no_args_is_help=True)
app.add_typer(privacy_app, name="privacy")
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


def fail(exc: StyleLensError) -> NoReturn:
    """End the command with the error's own sentence and exit status 1."""
    console.print(f"[red]error:[/red] {exc.detail}")
    raise typer.Exit(1)
