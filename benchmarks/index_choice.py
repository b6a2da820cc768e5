"""hnswlib against faiss-cpu on real catalog embeddings: recall@10, query latency, build time, filtered search.

Embeds a demo catalog (cached under var/bench), queries with shopper-style re-photographs of catalog items,
and compares both HNSW implementations (same M, efConstruction, efSearch) with exact search as ground truth,
unfiltered and filtered to one category.

    .venv/bin/python benchmarks/index_choice.py [--size 10000] [--queries 300]
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np
from PIL import Image

sys.path.insert(0, "benchmarks")
from _common import demo_services, machine, p50_p95  # noqa: E402

from stylelens.index.base import IndexFilter  # noqa: E402
from stylelens.index.hnsw import HnswIndex  # noqa: E402
from stylelens.index.rebuild import rebuild_index  # noqa: E402
from stylelens.storage.models import Product, ProductEmbedding  # noqa: E402

M, EF_CONSTRUCTION, EF_SEARCH, K = 32, 200, 128, 10


def catalog_vectors(services) -> tuple[np.ndarray, np.ndarray, list[str]]:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    with services.sessions() as session:
        rows = session.execute(select(Product.pk, Product.category, ProductEmbedding.vector).join(ProductEmbedding))
        pks, categories, vectors = zip(*rows, strict=True)
    return np.asarray(pks), np.stack([np.frombuffer(v, np.float32) for v in vectors]), list(categories)


def query_vectors(services, pks: np.ndarray, count: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    rng = np.random.default_rng(1)
    chosen = rng.choice(pks, size=count, replace=False)
    images = []
    with services.sessions() as session:
        query = select(Product.pk, Product.image_key).where(Product.pk.in_(chosen.tolist()))
        keys = {pk: key for pk, key in session.execute(query)}
    for pk in chosen:
        image = Image.open(io.BytesIO(services.blobs.get(keys[int(pk)]))).convert("RGB")
        w, h = image.size
        photo = image.crop((w // 12, h // 20, w - w // 20, h - h // 12)).rotate(10, fillcolor=image.getpixel((1, 1)))
        buffer = io.BytesIO()
        photo.save(buffer, format="JPEG", quality=70)
        images.append(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))
    return services.analyser.embedder.embed(images)


def recall(found: list[list[int]], truth: list[list[int]]) -> float:
    return float(np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True) if t]))


def timed_queries(fn, queries: np.ndarray) -> tuple[list[list[int]], list[float]]:  # type: ignore[no-untyped-def]
    found, times = [], []
    for q in queries:
        start = time.perf_counter()
        found.append(fn(q))
        times.append((time.perf_counter() - start) * 1000)
    return found, times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    faiss.omp_set_num_threads(1)

    services = demo_services(args.size)
    pks, vectors, categories = catalog_vectors(services)
    queries = query_vectors(services, pks, args.queries)
    exact = np.argsort(-queries @ vectors.T, axis=1)[:, :K]
    truth = [[int(pks[i]) for i in row] for row in exact]
    target = categories[0]
    in_category = np.array([c == target for c in categories])
    scores = np.where(in_category[None, :], queries @ vectors.T, -np.inf)
    truth_filtered = [[int(pks[i]) for i in row] for row in np.argsort(-scores, axis=1)[:, :K]]

    start = time.perf_counter()
    hnsw = HnswIndex(
        Path(tempfile.mkdtemp()) / "index", vectors.shape[1], m=M, ef_construction=EF_CONSTRUCTION, ef_search=EF_SEARCH
    )
    rebuild_index(services.sessions, hnsw)
    hnsw_build = time.perf_counter() - start

    start = time.perf_counter()
    flat = faiss.IndexHNSWFlat(vectors.shape[1], M, faiss.METRIC_INNER_PRODUCT)
    flat.hnsw.efConstruction = EF_CONSTRUCTION
    index = faiss.IndexIDMap2(flat)
    index.add_with_ids(vectors, pks.astype(np.int64))
    faiss_build = time.perf_counter() - start
    flat.hnsw.efSearch = EF_SEARCH
    selector = faiss.IDSelectorBatch(pks[in_category].astype(np.int64))
    params = faiss.SearchParametersHNSW(sel=selector, efSearch=EF_SEARCH)

    runs = {
        "hnswlib": lambda q: [n.label for n in hnsw.search(q, K)],
        "hnswlib, one category": lambda q: [n.label for n in hnsw.search(q, K, IndexFilter(category=target))],
        "faiss HNSWFlat": lambda q: index.search(q[None], K)[1][0].tolist(),
        "faiss HNSWFlat, one category": lambda q: [
            int(i) for i in index.search(q[None], K, params=params)[1][0] if i >= 0
        ],
    }
    print(
        f"machine: {machine()}; {len(pks)} catalog embeddings of dim {vectors.shape[1]} "
        f"(MobileNetV2, demo catalog); {args.queries} shopper-style queries; M={M} efC={EF_CONSTRUCTION} "
        f"ef={EF_SEARCH}; one thread"
    )
    print(f"build: hnswlib {hnsw_build:.1f} s (from the database), faiss {faiss_build:.1f} s")
    for name, fn in runs.items():
        found, times = timed_queries(fn, queries)
        r = recall(found, truth_filtered if "category" in name else truth)
        p50, p95 = p50_p95(times)
        print(f"{name:30s} recall@10 {r:.3f}   p50 {p50:.2f} ms   p95 {p95:.2f} ms")


if __name__ == "__main__":
    main()
