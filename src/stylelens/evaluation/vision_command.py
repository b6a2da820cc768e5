"""`stylelens eval vision`: run the vision evaluation on the prepared models and write the report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from stylelens.evaluation import machine_description


def vision(
    catalog: Annotated[int, typer.Option(help="Demo catalog items searched (the first N of the demo)")] = 2400,
    queries: Annotated[int, typer.Option(help="Shopper-style photos (spread over the catalog)")] = 300,
    fashion_mnist: Annotated[int, typer.Option(help="Fashion-MNIST test pictures for the category set")] = 1000,
    backbone: Annotated[str | None, typer.Option(help="Defaults to settings (STYLELENS_VISION__BACKBONE)")] = None,
    out: Annotated[Path, typer.Option(help="Folder for vision.md, vision.json and the PNG plots")] = Path(
        "var/eval/vision"
    ),
) -> None:
    """Measure garment reading: exact-item retrieval, category, colour and pattern on shopper-style photos."""
    import time

    from stylelens.config import get_settings
    from stylelens.evaluation.vision import fashion_mnist_evaluation, per_style, shopper_evaluation, write_report
    from stylelens.services import Services

    settings = get_settings()
    if backbone:
        settings.vision.backbone = backbone
    analyser = Services(settings).analyser
    started = time.perf_counter()
    shopper, packshots = shopper_evaluation(analyser, catalog_size=catalog, queries=queries)
    sections = {"shopper photos": shopper, "catalog packshots": packshots}
    if fashion_mnist:
        sections["fashion-mnist test"] = fashion_mnist_evaluation(analyser, count=fashion_mnist)
    machine = machine_description()
    command = f"stylelens eval vision --catalog {catalog} --queries {queries} --fashion-mnist {fashion_mnist}"
    path = write_report(out, sections, machine, command)
    summary = {name: scores.summary() for name, scores in sections.items()}
    run = {"command": command, "machine": machine, "embedder": analyser.embedder.identity}
    by_style = {"shopper photos by style": per_style(shopper)} if shopper.styles else {}
    (out / "vision.json").write_text(
        json.dumps({"backbone": settings.vision.backbone, **summary, **by_style, "run": run}, indent=2)
    )
    for name, numbers in summary.items():
        typer.echo(f"{name}: " + ", ".join(f"{k} {v:.3f}" for k, v in numbers.items()))
    typer.echo(f"report: {path} ({time.perf_counter() - started:.0f} s)")
