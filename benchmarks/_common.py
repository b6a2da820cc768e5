"""Shared by the benchmarks: a demo catalog built once into a cache folder, timing helpers."""

from __future__ import annotations

import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from stylelens.catalog.demo_feed import demo_catalog_items
from stylelens.config import Settings, StorageSettings, VisionSettings
from stylelens.services import Services

CACHE = Path("var") / "bench"


def machine() -> str:
    import os

    return f"{platform.machine()}, {os.cpu_count()} cores, {platform.processor() or platform.platform()}"


def demo_services(size: int, seed: int = 7, threads: int = 2, recent_photos: int = 0) -> Services:
    """A demo catalog of `size` products under var/bench, built on the first run and reused after.

    The search remembers no photo unless asked (`recent_photos`): a benchmark sending one photo again and again
    measures the reading of a new photo each time, as a shopper's first search of it costs."""
    settings = Settings(
        storage=StorageSettings(data_dir=CACHE / f"demo-{seed}-{size}"),
        vision=VisionSettings(models_dir=Path("var") / "models", threads=threads, recent_photos=recent_photos),
    )
    services = Services(settings)
    from stylelens.index.embedder_check import discard_mismatched_index, stale_models

    stale = stale_models(services.sessions, services.embedder.identity)  # built before another embedder head
    if stale or services.demo_marker() != {"seed": seed, "size": size}:
        discard_mismatched_index(settings.index_dir, services.embedder.dim)
        services.ingestor.ingest(demo_catalog_items(seed, size, settings.catalog.shop_url))
        services.mark_demo(seed, size)
    return services


def timings_ms(fn: Callable[[], object], repeat: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def p50_p95(samples: list[float]) -> tuple[float, float]:
    return statistics.median(samples), float(np.percentile(samples, 95))
