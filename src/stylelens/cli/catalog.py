"""The catalog commands: the demo catalog, CSV import, feed sync, and rebuilding the vector index."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stylelens.cli.base import (
    catalog_app,
    console,
    fail,
    index_app,
    progress,
)
from stylelens.config import get_settings
from stylelens.errors import StyleLensError
from stylelens.services import Services


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
        fail(exc)
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
                file,
                max_bytes=settings.vision.max_bytes,
                max_pixels=settings.vision.max_pixels,
                errors=errors,
                image_side=settings.integration.image_side,
                colour_words=settings.integration.colour_words,
            )
            report = services.ingestor.ingest(items, on_progress=advance)
    except StyleLensError as exc:
        fail(exc)
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
        fail(exc)
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
