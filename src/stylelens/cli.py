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
apikey_app = typer.Typer(help="API keys for the shop's systems.", no_args_is_help=True)
app.add_typer(apikey_app, name="apikey")
eval_app = typer.Typer(help="Offline evaluation reports.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
train_app = typer.Typer(help="Train the vision models (needs the `train` extra).", no_args_is_help=True)
app.add_typer(train_app, name="train")
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
        create_app(settings),
        host=host or settings.api.host,
        port=port or settings.api.port,
        log_level="warning",
        access_log=False,  # uvicorn's access log names the client's IP address; ours logs requests without it
    )


@models_app.command("prepare")
def models_prepare(
    backbone: Annotated[list[str] | None, typer.Option(help="Also export this backbone (efficientnet_lite0)")] = None,
) -> None:
    """Export the ImageNet backbones that ship in packages to ONNX (cached; needs the `train` extra)."""
    try:
        from stylelens.training.export import prepare_models
    except ImportError as exc:
        console.print(f"[red]error:[/red] preparing models needs the train extra ({exc.name} is missing)")
        raise typer.Exit(1) from exc
    settings = get_settings()
    with console.status("Preparing models"):
        paths = prepare_models(settings.models_dir, backbone or ())
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
    from stylelens.index.embedder_check import discard_mismatched_index, stale_models

    identity = services.embedder.identity
    fresh = not stale_models(services.sessions, identity)  # embedded by the embedder serving now
    if not force and fresh and services.demo_marker() == {"seed": seed, "size": size}:
        console.print(f"demo catalog (seed {seed}, {size} products) already built")
        return
    if discard_mismatched_index(settings.index_dir, services.embedder.dim):
        console.print(f"the index held vectors of another size: rebuilding it with {identity}")
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
    """Rebuild the vector index from the embeddings stored in the catalog database.

    Products embedded by another embedder than the active one (a new head was activated or rolled back) are
    embedded again from their stored image and mask first.
    """
    from stylelens.index.embedder_check import discard_mismatched_index, reembed_stale, stale_models
    from stylelens.index.rebuild import count_indexable, rebuild_index

    settings = get_settings()
    services = Services(settings)
    stale = sum(stale_models(services.sessions, services.embedder.identity).values())
    if stale:
        with progress(f"Re-embedding with {services.embedder.identity}", stale) as advance:
            reembed_stale(services.sessions, services.blobs, services.analyser, services.embedder.identity, advance)
    discard_mismatched_index(settings.index_dir, services.embedder.dim)
    with progress("Rebuilding index", count_indexable(services.sessions)) as advance:
        count = rebuild_index(services.sessions, services.index, on_progress=advance)
    console.print(f"index rebuilt: {count} items")


@catalog_app.command("sync")
def catalog_sync(
    source: Annotated[str, typer.Argument(help="Feed URL or file")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would change; change nothing")] = False,
    fmt: Annotated[
        str | None, typer.Option("--format", help="merchant-xml, merchant-tsv, shopify or csv (default: guessed)")
    ] = None,
    mapping: Annotated[Path | None, typer.Option(help="Column-mapping JSON for a CSV feed")] = None,
    enqueue: Annotated[bool, typer.Option("--enqueue", help="Queue the sync for a worker instead")] = False,
    report_file: Annotated[Path | None, typer.Option("--report", help="Also write the report as JSON")] = None,
) -> None:
    """Make the catalog equal to a feed: add, update, delete; only changed images are fetched again."""
    import json

    from stylelens.catalog.sync import sync_source
    from stylelens.jobs.handlers import SYNC_KIND

    settings = get_settings()
    services = Services(settings)
    if enqueue:
        job = services.job_queue.enqueue(SYNC_KIND, {"source": source, "format": fmt, "mapping": str(mapping or "")})
        console.print(f"sync queued: job {job}")
        return
    try:
        with progress(f"Syncing {source[-60:]}", None) as advance:
            report = sync_source(
                services.catalog_sync,
                source,
                fmt=fmt,
                mapping=str(mapping) if mapping else None,
                shop_url=settings.catalog.shop_url,
                max_bytes=settings.integration.feed_max_bytes,
                dry_run=dry_run,
                on_progress=advance,
            )
    except StyleLensError as exc:
        _fail(exc)
    for line in report.diff:
        typer.echo(line)
    console.print(("[dry run] " if dry_run else "") + report.summary())
    for item in report.rejections[:50]:
        console.print(f"  rejected {item['at']} ({item['product_id']}): {item['reason']}")
    for item in report.failures[:50]:
        console.print(f"  image failed ({item['product_id']}): {item['error']}")
    if report_file:
        report_file.write_text(json.dumps(report.as_dict(), indent=2, default=str))
    if report.feed_error and not report.seen:
        raise typer.Exit(1)


@app.command()
def worker(
    until_idle: Annotated[bool, typer.Option(help="Stop when no job is due (batch runs, tests)")] = False,
    sync_feed: Annotated[str | None, typer.Option(help="Feed URL to sync on a schedule")] = None,
    sync_every: Annotated[float, typer.Option(help="Seconds between scheduled syncs")] = 3600.0,
) -> None:
    """Do queued jobs (catalog syncs, webhook changes, event deliveries) until stopped."""
    import signal
    import threading
    import time

    from stylelens.jobs.handlers import SYNC_KIND, job_handlers
    from stylelens.jobs.worker import Worker
    from stylelens.telemetry import configure_telemetry

    configure_logging()
    settings = get_settings()
    configure_telemetry(settings.telemetry)  # the worker's logs to Application Insights, when configured
    services = Services(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    jobs = Worker(services.job_queue, job_handlers(services), lease_s=settings.integration.job_lease_s)
    console.print(f"worker {jobs.name} started")
    while not stop.is_set():
        if sync_feed:  # one job per period, whichever worker queues it first (the key makes it unique)
            slot = int(time.time() // sync_every)
            services.job_queue.enqueue(SYNC_KIND, {"source": sync_feed}, key=f"schedule:{sync_feed}:{slot}")
        jobs.run(stop, until_idle=True)
        if until_idle and services.job_queue.pending() == 0:
            break
        stop.wait(1.0)


@apikey_app.command("create")
def apikey_create(
    name: Annotated[str, typer.Argument(help="Who uses the key, e.g. 'shop-backend'")],
    scope: Annotated[list[str], typer.Option(help="catalog:write and/or events:write")],
) -> None:
    """Issue an API key for a shop system; the key is printed once."""
    from stylelens.auth.api_keys import create_key

    try:
        issued = create_key(Services(get_settings()).sessions, name, scope)
    except StyleLensError as exc:
        _fail(exc)
    console.print(f"key {issued.key_id} ({', '.join(issued.scopes)}); store it now, it is not shown again:")
    typer.echo(issued.token)


@apikey_app.command("rotate")
def apikey_rotate(
    key_id: Annotated[str, typer.Argument()],
    grace_hours: Annotated[float, typer.Option(help="How long the old key keeps working")] = 24.0,
) -> None:
    """Replace a key with a new one; the old one works for the grace period."""
    from datetime import timedelta

    from stylelens.auth.api_keys import rotate_key

    try:
        issued = rotate_key(Services(get_settings()).sessions, key_id, timedelta(hours=grace_hours))
    except StyleLensError as exc:
        _fail(exc)
    console.print(f"key {issued.key_id} replaces {key_id}; store it now, it is not shown again:")
    typer.echo(issued.token)


@apikey_app.command("list")
def apikey_list() -> None:
    """The API keys (never their secrets)."""
    from stylelens.auth.api_keys import list_keys

    for key in list_keys(Services(get_settings()).sessions):
        state = f"replaced by {key.replaced_by}, expires {key.expires_at}" if key.replaced_by else "active"
        typer.echo(f"{key.key_id}  {key.name}  {','.join(key.scopes)}  {state}")


from stylelens.evaluation.recommend import recommend as _eval_recommend  # noqa: E402  (recommendations)

eval_app.command("recommend")(_eval_recommend)

from stylelens.evaluation.vision_command import vision as _eval_vision  # noqa: E402  (vision)

eval_app.command("vision")(_eval_vision)

from stylelens.training.embedder_command import embedder as _train_embedder  # noqa: E402  (metric learning)

train_app.command("embedder")(_train_embedder)

from stylelens.training.segmenter_command import segmenter as _train_segmenter  # noqa: E402  (garment masks)
from stylelens.training.segmenter_command import synth as _data_synth  # noqa: E402

train_app.command("segmenter")(_train_segmenter)

from stylelens.training.silhouette_command import silhouette as _train_silhouette  # noqa: E402  (category)

train_app.command("silhouette")(_train_silhouette)


from stylelens.training import classifier_command as _classifier  # noqa: E402  (classifier, registry)

train_app.command("classifier")(_classifier.classifier)
models_app.command("list")(_classifier.models_list)
models_app.command("activate")(_classifier.models_activate)
models_app.command("rollback")(_classifier.models_rollback)
eval_app.command("compare")(_classifier.eval_compare)


@app.command("explain-recommendations")
def explain_recommendations(
    out: Annotated[Path, typer.Option(help="Where to write it")] = Path("docs/how-recommendations-work.md"),
) -> None:
    """Write "how recommendations work" from the current settings (weights, boosts, how to turn it off)."""
    from stylelens.recommend.explainer import how_recommendations_work

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(how_recommendations_work(get_settings()))
    console.print(f"written: {out}")


data_app = typer.Typer(help="Training datasets: prepare them, check them for leakage.", no_args_is_help=True)
app.add_typer(data_app, name="data")
data_app.command("synth")(_data_synth)  # synthetic segmentation composites (training/segmenter_command.py)


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
        _fail(exc)
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
        _fail(exc)
    for line in report_lines(report):
        typer.echo(line)
    if report_file is not None:
        report_file.write_text(json.dumps(report_json(report), indent=2))
    if strict and report.leaks:
        raise typer.Exit(1)


if __name__ == "__main__":
    app()


privacy_app = typer.Typer(help="Shoppers' personal data: retention and erasure jobs.", no_args_is_help=True)
app.add_typer(privacy_app, name="privacy")


@privacy_app.command("run")
def privacy_run() -> None:
    """Delete saved photos past their retention period and retry unfinished erasures (run it daily)."""
    from stylelens.privacy.retention import run_privacy_jobs

    configure_logging()
    try:
        report = run_privacy_jobs(Services(get_settings()))
    except StyleLensError as exc:
        _fail(exc)
    typer.echo(" ".join(f"{k}={v}" for k, v in report.items()))
