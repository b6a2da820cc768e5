"""Per-core capacity of StyleLens, measured here, turned into the Azure sizing of docs/scaling.md.

Measures in one run, with ONE inference thread (one core's worth of work):
- visual search: the whole in-process search (decode a 1024-px shopper JPEG, garment mask, colours, embedding,
  category vote, index search, database read) against its baseline, the backbone's inference alone;
- ingestion: CatalogIngestor on demo products (analysis, JPEG/mask encoding, blob and database writes, index
  upserts) against the backbone's batch inference alone on the same images.
Then prints the capacity model for a catalog of --products and --qps searches per second, with the index size
per item passed in from benchmarks/pgvector_vs_hnsw.py (--index-bytes-per-item).

    .venv/bin/python benchmarks/capacity.py [--searches 100] [--ingest 200] [--products 1000000] [--qps 100]
"""

from __future__ import annotations

import argparse
import io
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, "benchmarks")
from _common import demo_services, machine, p50_p95, timings_ms  # noqa: E402

from stylelens.catalog.demo_feed import demo_catalog_items  # noqa: E402
from stylelens.config import Settings, StorageSettings, VisionSettings  # noqa: E402
from stylelens.recommend.search import SearchQuery  # noqa: E402
from stylelens.services import Services  # noqa: E402

# Azure list prices (pay as you go, EUR, France Central), read from the public price list, NOT measured here:
# re-check with the Azure pricing calculator before quoting them.
PRICE_VCPU_SECOND = 0.000022  # Container Apps consumption, active vCPU-second
PRICE_GIB_SECOND = 0.0000027  # Container Apps consumption, active GiB-second
PRICE_POSTGRES_MONTH = {"Standard_E4ds_v5 (4 vCPU, 32 GiB)": 290.0, "Standard_E8ds_v5 (8 vCPU, 64 GiB)": 580.0}
MONTH_S = 730 * 3600


def shopper_photos(services: Services, count: int) -> list[bytes]:
    from sqlalchemy import text

    with services.sessions() as session:
        ids = session.execute(text(f"select product_id from products order by pk limit {count}")).scalars().all()
    photos = []
    for product_id in ids:
        image = Image.open(io.BytesIO(services.blobs.get(f"products/{product_id}.jpg"))).convert("RGB")
        photo = image.rotate(8, fillcolor=image.getpixel((2, 2))).resize((1024, 1024), Image.Resampling.BICUBIC)
        out = io.BytesIO()
        photo.save(out, format="JPEG", quality=85)
        photos.append(out.getvalue())
    return photos


def search_per_core(searches: int) -> tuple[float, float, float]:
    """Mean ms of a whole search and of the backbone alone, one thread; and the search p95."""
    services = demo_services(2400, threads=1)
    photos = shopper_photos(services, min(searches, 200))
    it = iter(range(10**9))

    def one() -> None:
        services.search.search(photos[next(it) % len(photos)], SearchQuery(limit=20))

    whole = timings_ms(one, searches)
    tensor = np.zeros((1, 3, services.embedder.input_size, services.embedder.input_size), np.float32)
    model = timings_ms(lambda: services.embedder.predict(tensor), searches)
    return float(np.mean(whole)), float(np.mean(model)), p50_p95(whole)[1]


def ingest_per_core(count: int) -> tuple[float, float]:
    """Images/s of CatalogIngestor and of the backbone's batch inference alone, one thread."""
    items = list(demo_catalog_items(11, count, "https://shop.example"))
    folder = Path(tempfile.mkdtemp(prefix="stylelens-capacity-"))
    try:
        settings = Settings(
            storage=StorageSettings(data_dir=folder),
            vision=VisionSettings(models_dir=Path("var") / "models", threads=1),
        )
        services = Services(settings)
        services.embedder.load()
        started = time.perf_counter()
        services.ingestor.ingest(items)
        ingest_rate = count / (time.perf_counter() - started)
        tensors = np.stack([services.embedder.preprocess(i.image, i.mask) for i in items])
        started = time.perf_counter()
        for start in range(0, count, 16):
            services.embedder.predict(tensors[start : start + 16])
        model_rate = count / (time.perf_counter() - started)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return ingest_rate, model_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--searches", type=int, default=100)
    parser.add_argument("--ingest", type=int, default=200)
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--qps", type=float, default=100.0)
    parser.add_argument("--index-bytes-per-item", type=float, required=True, help="from pgvector_vs_hnsw.py")
    parser.add_argument("--utilisation", type=float, default=0.6, help="target CPU use per replica at peak")
    args = parser.parse_args()

    search_ms, model_ms, search_p95 = search_per_core(args.searches)
    ingest_rate, model_rate = ingest_per_core(args.ingest)
    print(f"machine: {machine()}; one inference thread")
    print(f"search, whole (in process):   mean {search_ms:6.1f} ms  p95 {search_p95:6.1f} ms -> "
          f"{1000 / search_ms:5.1f} searches/s per core")  # fmt: skip
    print(f"  baseline, backbone alone:   mean {model_ms:6.1f} ms -> {1000 / model_ms:5.1f} inferences/s per core")
    print(f"ingestion, CatalogIngestor:   {ingest_rate:5.1f} images/s per core")
    print(f"  baseline, backbone batches: {model_rate:5.1f} images/s per core")

    cores = args.qps * search_ms / 1000 / args.utilisation
    api_replicas = max(2, math.ceil(cores / 2))  # 2-vCPU replicas, two at least for availability
    api_month = api_replicas * (2 * PRICE_VCPU_SECOND + 4 * PRICE_GIB_SECOND) * MONTH_S
    ingest_core_hours = args.products / ingest_rate / 3600
    ingest_cost = ingest_core_hours * 3600 * (PRICE_VCPU_SECOND + 2 * PRICE_GIB_SECOND)
    index_gib = args.products * args.index_bytes_per_item / 2**30
    table_gib = args.products * (1280 * 4 * 2 + 1500) / 2**30  # vector table + product_embeddings + product row
    print(f"\ncapacity model: {args.products:,} products, {args.qps:.0f} searches/s at peak, "
          f"{args.utilisation:.0%} CPU target")  # fmt: skip
    print(f"  API: {cores:.1f} cores busy -> {api_replicas} replicas x 2 vCPU / 4 GiB, "
          f"~EUR {api_month:,.0f}/month if all run all month")  # fmt: skip
    print(f"  full catalog load: {ingest_core_hours:.1f} core-hours (10 workers x 2 vCPU: "
          f"{ingest_core_hours / 20:.1f} h), ~EUR {ingest_cost:,.0f} per full load")  # fmt: skip
    print(f"  pgvector: HNSW index {index_gib:.1f} GiB + tables ~{table_gib:.1f} GiB -> memory-optimised server "
          f"with the index in RAM, e.g. {next(iter(PRICE_POSTGRES_MONTH))} at ~EUR "
          f"{next(iter(PRICE_POSTGRES_MONTH.values())):.0f}/month (x2 with zone-redundant HA)")  # fmt: skip


if __name__ == "__main__":
    main()
