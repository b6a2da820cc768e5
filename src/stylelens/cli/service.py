"""Running StyleLens: the web service, the job worker, model preparation, the privacy jobs, the ranking explainer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stylelens.cli.base import (
    app,
    console,
    fail,
    models_app,
    privacy_app,
)
from stylelens.config import get_settings
from stylelens.errors import StyleLensError
from stylelens.observability import configure_logging
from stylelens.services import Services


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


@app.command("explain-recommendations")
def explain_recommendations(
    out: Annotated[Path, typer.Option(help="Where to write it")] = Path("docs/how-recommendations-work.md"),
) -> None:
    """Write "how recommendations work" from the current settings (weights, boosts, how to turn it off)."""
    from stylelens.recommend.explainer import how_recommendations_work

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(how_recommendations_work(get_settings()))
    console.print(f"written: {out}")


@privacy_app.command("run")
def privacy_run() -> None:
    """Delete saved photos past their retention period and retry unfinished erasures (run it daily)."""
    from stylelens.privacy.retention import run_privacy_jobs

    configure_logging()
    try:
        report = run_privacy_jobs(Services(get_settings()))
    except StyleLensError as exc:
        fail(exc)
    typer.echo(" ".join(f"{k}={v}" for k, v in report.items()))
