"""`stylelens eval recommend`: personalised ranking vs popularity and pure visual similarity, in one run.

Runs on the catalog of the current settings (the demo catalog is built first when the catalog is empty),
with simulated shoppers over its real embeddings. Prints the report and writes it as JSON and Markdown.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from stylelens.evaluation import machine_description
from stylelens.recommend.offline import OfflineReport

MIN_LOGGED_SHOPPERS = 20


def recommend(
    shoppers: Annotated[int, typer.Option(help="Simulated shoppers")] = 400,
    seed: Annotated[int, typer.Option(help="Simulation seed")] = 11,
    k: Annotated[int, typer.Option(help="List length scored (NDCG@k, recall@k)")] = 10,
    out: Annotated[Path, typer.Option(help="Folder for recommend-eval.json and .md")] = Path("var/eval"),
    logged: Annotated[bool, typer.Option(help="Also evaluate on the shop's logged events, if there are enough")] = True,
) -> None:
    """Evaluate recommendations offline on simulated shoppers: recall, NDCG, coverage, diversity, A/B arms."""
    import time

    from stylelens.config import get_settings
    from stylelens.recommend.catalog_view import load_catalog_view
    from stylelens.recommend.offline import evaluate, split_logged
    from stylelens.recommend.simulation import SimulationSpec
    from stylelens.recommend.taste_store import logged_events
    from stylelens.services import Services

    settings = get_settings()
    services = Services(settings)
    view = load_catalog_view(services.sessions)
    if len(view) == 0:
        from stylelens.catalog.demo_feed import demo_catalog_items

        typer.echo("the catalog is empty: building the demo catalog first", err=True)
        c = settings.catalog
        services.ingestor.ingest(demo_catalog_items(c.demo_seed, c.demo_size, c.shop_url))
        services.mark_demo(c.demo_seed, c.demo_size)
        view = load_catalog_view(services.sessions)
    started = time.perf_counter()
    spec = SimulationSpec(shoppers=shoppers, seed=seed)
    reports = [evaluate(view, settings.recommend, spec, k=k)]
    cases = split_logged(logged_events(services.sessions)) if logged else []
    if len(cases) >= MIN_LOGGED_SHOPPERS:
        reports.append(evaluate(view, settings.recommend, spec, k=k, logged=cases))
    elif logged:
        typer.echo(f"logged events: {len(cases)} shoppers with a history and a future (< {MIN_LOGGED_SHOPPERS}): "
                   "not evaluated", err=True)  # fmt: skip
    elapsed = time.perf_counter() - started
    run = {
        "command": f"stylelens eval recommend --shoppers {shoppers} --seed {seed} --k {k} --out {out}"
        + ("" if logged else " --no-logged"),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine_description(),
        "embedder": services.embedder.identity,  # the catalog's vectors, which every method but popularity reads
        "seconds": round(elapsed, 1),
    }
    text = "\n".join(to_markdown(report, run) for report in reports)
    typer.echo(text)
    out.mkdir(parents=True, exist_ok=True)
    (out / "recommend-eval.json").write_text(json.dumps([{**r.as_dict(), "run": run} for r in reports], indent=2))
    (out / "recommend-eval.md").write_text(text)


def _who(report: OfflineReport) -> str:
    if report.shoppers_from == "simulated":
        return f"{report.spec.shoppers} simulated shoppers, seed {report.spec.seed}"
    return f"{report.methods['visual'].shoppers} shoppers from logged events, first 70% of events as history"


def to_markdown(report: OfflineReport, run: dict[str, Any]) -> str:
    k = report.k
    lines = [
        f"# Offline evaluation of recommendations ({_who(report)}, {report.catalog_size} catalog items)",
        "",
        f"| method | recall@{k} | NDCG@{k} | coverage | intra-list diversity |",
        "|---|---|---|---|---|",
    ]
    for m in report.methods.values():
        lines.append(f"| {m.method} | {m.recall:.4f} | {m.ndcg:.4f} | {m.coverage:.4f} | {m.diversity:.4f} |")
    lines += [
        "",
        f"Personalised vs pure visual similarity (centroid): {report.uplift('visual'):+.1%} NDCG@{k}",
        f"Personalised vs pure visual similarity (nearest to any item): {report.uplift('visual_items'):+.1%} NDCG@{k}",
        f"Personalised vs popularity: {report.uplift('popularity'):+.1%} NDCG@{k}",
        "",
        "## A/B arms (each shopper assigned by a stable hash)",
        "",
        f"| arm | shoppers | recall@{k} | NDCG@{k} | coverage | intra-list diversity |",
        "|---|---|---|---|---|---|",
    ]
    for m in report.arms.values():
        lines.append(
            f"| {m.method} | {m.shoppers} | {m.recall:.4f} | {m.ndcg:.4f} | {m.coverage:.4f} | {m.diversity:.4f} |"
        )
    lines += [
        "",
        f"Command: `{run['command']}` ({run['date']}; embedder `{run['embedder']}`)",
        f"Machine: {run['machine']}; took {run['seconds']:.1f} s",
        "",
    ]
    return "\n".join(lines)
