"""Training datasets: prepare them from a source, check them for duplicates and leakage."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stylelens.cli.base import (
    console,
    data_app,
    fail,
    progress,
)
from stylelens.config import get_settings
from stylelens.errors import StyleLensError


@data_app.command("prepare")
def data_prepare(
    source: Annotated[Path | None, typer.Argument(help="Folder, CSV or COCO JSON (fashion-mnist: IDX folder)")] = None,
    kind: Annotated[str | None, typer.Option(help="fashion-mnist, demo, imagefolder, csv or coco (or guessed)")] = None,
    out: Annotated[Path | None, typer.Option(help="Dataset folder (default: <data_dir>/datasets/<name>)")] = None,
    name: Annotated[str | None, typer.Option(help="Dataset name (default: the kind or the source's name)")] = None,
    task: Annotated[str | None, typer.Option(help="classification, segmentation or retrieval")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the split draw (demo: the catalog's seed too)")] = None,
    limit: Annotated[int | None, typer.Option(help="fashion-mnist: at most N pictures; demo: N products")] = None,
    licence: Annotated[str | None, typer.Option(help="Licence of a folder, CSV or COCO source")] = None,
    images: Annotated[Path | None, typer.Option(help="coco: the pictures' folder")] = None,
    coco_mode: Annotated[str, typer.Option(help="coco: 'instance' (a crop per annotation) or 'image'")] = "instance",
    threshold: Annotated[int, typer.Option(help="Near duplicates: perceptual-hash bits")] = 4,
    tolerance: Annotated[float, typer.Option(help="Near duplicates: thumbnail grey levels")] = 3.0,
    max_side: Annotated[int, typer.Option(help="Longer side of a stored picture at most (pixels)")] = 1024,
    fix_leakage: Annotated[bool, typer.Option("--fix-leakage", help="Move leaks into their twin's split")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing dataset")] = False,
    report_file: Annotated[Path | None, typer.Option("--report", help="Also write the full report as JSON")] = None,
) -> None:
    """Import annotated pictures into a dataset (manifest, splits, masks, licences, checksums)."""
    import json

    from stylelens.data.manifest import default_dataset_dir
    from stylelens.data.prepare import prepare_dataset
    from stylelens.data.report import report_json, report_lines
    from stylelens.data.sources import guess_kind, open_source

    settings = get_settings()
    limits = {"max_bytes": settings.vision.max_bytes, "max_pixels": settings.vision.max_pixels}
    try:
        kind = kind or guess_kind(source)
        if kind == "demo":  # the shop's own demo catalog unless told otherwise
            seed = settings.catalog.demo_seed if seed is None else seed
            limit = settings.catalog.demo_size if limit is None else limit
        seed = seed or 0
        reader = open_source(
            kind, source, seed=seed, limit=limit, licence=licence, images_dir=images, coco_mode=coco_mode, **limits
        )
        name = name or (kind if kind in ("fashion-mnist", "demo") else reader.info.name)
        out = out or default_dataset_dir(settings.storage.data_dir, name)
        report = prepare_dataset(
            reader, out, name=name, task=task, seed=seed, overwrite=overwrite, threshold=threshold,
            tolerance=tolerance, fix=fix_leakage, max_side=max_side, steps=progress, **limits,
        )  # fmt: skip
    except StyleLensError as exc:
        fail(exc)
    except (OSError, ValueError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    typer.echo(f"dataset {out}: {report.added} items {report.splits} in {sum(report.seconds.values()):.1f} s")
    for line in report_lines(report.duplicates, report.skipped):
        typer.echo(line)
    if report_file is not None:
        report_file.write_text(json.dumps(report_json(report.duplicates, report.skipped), indent=2))


@data_app.command("check")
def data_check(
    folder: Annotated[Path, typer.Argument(help="A prepared dataset folder")],
    threshold: Annotated[int, typer.Option(help="Near duplicates: perceptual-hash bits")] = 4,
    tolerance: Annotated[float, typer.Option(help="Near duplicates: thumbnail grey levels")] = 3.0,
    verify: Annotated[bool, typer.Option(help="Also check every file's sha256")] = True,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when the splits leak")] = False,
    fix_leakage: Annotated[bool, typer.Option("--fix-leakage", help="Move leaks into their twin's split")] = False,
    report_file: Annotated[Path | None, typer.Option("--report", help="Also write the report as JSON")] = None,
) -> None:
    """Report exact and near duplicates and leakage between a dataset's splits; verify its checksums."""
    import json

    from stylelens.data.dedup import check_and_fix
    from stylelens.data.manifest import Dataset
    from stylelens.data.report import report_json, report_lines

    try:
        dataset = Dataset.open(folder)
        if verify:
            with progress("Verifying checksums", None):
                dataset.verify()
        with progress("Checking duplicates and leakage", None):
            report = check_and_fix(dataset, threshold, tolerance, fix=fix_leakage)
    except StyleLensError as exc:
        fail(exc)
    for line in report_lines(report):
        typer.echo(line)
    if report_file is not None:
        report_file.write_text(json.dumps(report_json(report), indent=2))
    if strict and report.leaks:
        raise typer.Exit(1)
