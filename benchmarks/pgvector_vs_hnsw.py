"""pgvector's HNSW (PostgreSQL, the Azure backend) against the in-process hnswlib index, on the same 100k catalog.

Both through the product's own classes (PgVectorIndex, HnswIndex) with the same graph parameters, the same
vectors, the same queries and the same exact ground truth, in one run: recall@10 and single-query latency
(p50/p95), unfiltered and filtered to one category, plus build time and index size per item.

The catalog (cached under var/bench/pgvector_vs_hnsw/ after the first run):
- BASE real MobileNetV2 embeddings (1280-d, float32, L2-normalised) of demo products (seed 7), embedded with
  their garment masks as catalog ingestion does;
- augmented to TOTAL vectors in embedding space: normalise((1 - l) * a + l * b + e), a and b real embeddings
  of the same category, l ~ U(0, 0.5), e ~ N(0, 0.005^2) per dimension. Embedding 100k real images takes about
  an hour on this 2-core machine; mixtures keep the catalog's category structure at a fraction of the cost.
- Queries: real embeddings of shopper-style re-photographs (cropped, rotated 8 deg, JPEG q70) of demo products.

    .venv/bin/python benchmarks/pgvector_vs_hnsw.py [--base 10000] [--total 100000] [--queries 500]
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, "benchmarks")
sys.path.insert(0, "tests")
from _common import machine, p50_p95  # noqa: E402
from cloud_servers import start_postgres  # noqa: E402

from stylelens.catalog.demo_feed import demo_catalog_items  # noqa: E402
from stylelens.index.base import IndexFilter, ItemAttributes  # noqa: E402
from stylelens.index.hnsw import HnswIndex  # noqa: E402
from stylelens.index.pgvector import TABLE, PgVectorIndex  # noqa: E402
from stylelens.vision.embedder import Embedder  # noqa: E402

CACHE = Path("var") / "bench" / "pgvector_vs_hnsw"
K = 10


def real_embeddings(base: int, queries: int, threads: int) -> tuple[np.ndarray, list[str], np.ndarray, list[str]]:
    """Embeddings of `base` demo products and of `queries` re-photographs of some of them (cached)."""
    path = CACHE / f"real-{base}-{queries}.npz"
    if path.is_file():
        data = np.load(path)
        return data["vectors"], list(data["categories"]), data["queries"], list(data["query_categories"])
    embedder = Embedder(Path("var") / "models", threads=threads)
    vectors, categories, photos, photo_categories = [], [], [], []
    rng = np.random.default_rng(3)
    pick = set(rng.choice(base, size=queries, replace=False).tolist())
    batch: list[tuple[Image.Image, np.ndarray | None]] = []
    started = time.perf_counter()
    for i, item in enumerate(demo_catalog_items(7, base, "https://shop.example")):
        batch.append((item.image, item.mask))
        categories.append(item.product.category)
        if i in pick:
            photos.append(_rephotograph(item.image))
            photo_categories.append(item.product.category)
        if len(batch) == 64 or i == base - 1:
            vectors.append(embedder.embed([b[0] for b in batch], [b[1] for b in batch]))
            batch = []
            print(f"  embedded {i + 1}/{base} in {time.perf_counter() - started:.0f} s", file=sys.stderr, end="\r")
    print(file=sys.stderr)
    query_vectors = embedder.embed(photos)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(
        path,
        vectors=np.concatenate(vectors),
        categories=np.asarray(categories),
        queries=query_vectors,
        query_categories=np.asarray(photo_categories),
    )
    return np.concatenate(vectors), categories, query_vectors, photo_categories


def _rephotograph(image: Image.Image) -> Image.Image:
    w, h = image.size
    photo = image.crop((w // 12, h // 20, w - w // 20, h - h // 12)).rotate(8, fillcolor=image.getpixel((1, 1)))
    buffer = io.BytesIO()
    photo.save(buffer, format="JPEG", quality=70)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def augmented(vectors: np.ndarray, categories: list[str], total: int) -> tuple[np.ndarray, list[str]]:
    """The real vectors plus mixtures of two real vectors of the same category, up to `total`."""
    rng = np.random.default_rng(11)
    cats = np.asarray(categories)
    by_category = {c: np.flatnonzero(cats == c) for c in sorted(set(categories))}
    extra = total - len(vectors)
    a = rng.integers(0, len(vectors), size=extra)
    b = np.asarray([rng.choice(by_category[cats[i]]) for i in a])
    mix = rng.uniform(0, 0.5, size=(extra, 1)).astype(np.float32)
    noise = rng.normal(0, 0.005, size=(extra, vectors.shape[1])).astype(np.float32)
    made = (1 - mix) * vectors[a] + mix * vectors[b] + noise
    made /= np.linalg.norm(made, axis=1, keepdims=True)
    return np.concatenate([vectors, made]).astype(np.float32), categories + cats[a].tolist()


def attributes(categories: list[str]) -> list[ItemAttributes]:
    return [ItemAttributes(c, 10.0 + i % 200, i % 3 != 0, ("navy",)) for i, c in enumerate(categories)]


def exact_top(vectors: np.ndarray, queries: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    scores = queries @ vectors.T
    if mask is not None:
        scores[:, ~mask] = -np.inf
    return np.argsort(-scores, axis=1)[:, :K]


def measure(index, queries: np.ndarray, truth: np.ndarray, where: list[IndexFilter | None]):  # type: ignore[no-untyped-def]
    for q, w in zip(queries[:20], where[:20], strict=True):  # warm caches
        index.search(q, K, w)
    latencies, recalls = [], []
    for q, t, w in zip(queries, truth, where, strict=True):
        started = time.perf_counter()
        found = index.search(q, K, w)
        latencies.append((time.perf_counter() - started) * 1000)
        recalls.append(len({n.label for n in found} & set(t.tolist())) / K)
    p50, p95 = p50_p95(latencies)
    return float(np.mean(recalls)), p50, p95


def load_pgvector(url: str, vectors: np.ndarray, attrs: list[ItemAttributes], m: int, efc: int) -> PgVectorIndex:
    index = PgVectorIndex(url, vectors.shape[1], m=m, ef_construction=efc)
    with index.engine.begin() as conn:  # bulk load first, graph after: the way a rebuild would do it
        conn.exec_driver_sql(f"DROP INDEX {TABLE}_hnsw")
    raw = index.engine.raw_connection()
    try:
        with raw.driver_connection.cursor() as cur:  # type: ignore[union-attr]
            sql = f"COPY {TABLE} (label, embedding, category, price, in_stock, colors) FROM STDIN WITH (FORMAT BINARY)"
            with cur.copy(sql) as copy:
                copy.set_types(["int8", "vector", "text", "float8", "bool", "text[]"])
                for i, (v, a) in enumerate(zip(vectors, attrs, strict=True)):
                    copy.write_row((i, v, a.category, a.price, a.in_stock, list(a.colors)))
        raw.commit()
    finally:
        raw.close()
    with index.engine.begin() as conn:
        conn.exec_driver_sql("SET maintenance_work_mem = '3GB'")
        conn.exec_driver_sql("SET max_parallel_maintenance_workers = 1")
        conn.exec_driver_sql(
            f"CREATE INDEX {TABLE}_hnsw ON {TABLE} USING hnsw (embedding vector_cosine_ops)"
            f" WITH (m = {m}, ef_construction = {efc})"
        )
        conn.exec_driver_sql(f"ANALYZE {TABLE}")
    return index


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", type=int, default=10_000)
    parser.add_argument("--total", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--m", type=int, default=16)
    parser.add_argument("--ef-construction", type=int, default=64)
    parser.add_argument("--ef-search", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    real, real_categories, queries, query_categories = real_embeddings(args.base, args.queries, args.threads)
    vectors, categories = augmented(real, real_categories, args.total)
    attrs = attributes(categories)
    cats = np.asarray(categories)
    truth = exact_top(vectors, queries)
    pairs = zip(queries, query_categories, strict=True)
    filtered_truth = np.stack([exact_top(vectors, q[None], cats == c)[0] for q, c in pairs])
    no_filter: list[IndexFilter | None] = [None] * len(queries)
    by_category: list[IndexFilter | None] = [IndexFilter(category=c) for c in query_categories]
    print(f"catalog: {len(real)} real + {len(vectors) - len(real)} augmented = {len(vectors)} x {vectors.shape[1]}-d")
    print(f"queries: {len(queries)} real re-photographs; M={args.m}, efConstruction={args.ef_construction}, "
          f"efSearch={args.ef_search}, k={K}")  # fmt: skip

    rows = []
    table = 0
    folder = Path(tempfile.mkdtemp(prefix="stylelens-bench-"))
    try:
        started = time.perf_counter()
        hnsw = HnswIndex(folder / "hnsw", vectors.shape[1], m=args.m, ef_construction=args.ef_construction,
                         ef_search=args.ef_search)  # fmt: skip
        for start in range(0, len(vectors), 10_000):
            labels = list(range(start, min(start + 10_000, len(vectors))))
            hnsw.upsert(labels, vectors[labels], attrs[start : start + len(labels)])
        hnsw.save()
        hnsw_build = time.perf_counter() - started
        hnsw_bytes = (folder / "hnsw" / "graph.bin").stat().st_size
        rows.append(("in-process hnswlib", hnsw_build, hnsw_bytes, measure(hnsw, queries, truth, no_filter),
                     measure(hnsw, queries, filtered_truth, by_category)))  # fmt: skip
        del hnsw

        # Its own temporary folder: the server runs as another user, who cannot enter `folder` (root's, 0700).
        server = start_postgres(Path(tempfile.mkdtemp(prefix="stylelens-bench-pg-")), shared_buffers="2GB")
        try:
            started = time.perf_counter()
            pg = load_pgvector(server.url(), vectors, attrs, args.m, args.ef_construction)
            pg_build = time.perf_counter() - started
            pg.ef_search = args.ef_search
            with pg.engine.connect() as conn:
                size = conn.exec_driver_sql(f"SELECT pg_relation_size('{TABLE}_hnsw')").scalar_one()
                table = conn.exec_driver_sql(f"SELECT pg_table_size('{TABLE}')").scalar_one()
            plain, filtered = measure(pg, queries, truth, no_filter), measure(pg, queries, filtered_truth, by_category)
            rows.append(("pgvector HNSW (PostgreSQL 18, loopback)", pg_build, int(size), plain, filtered))
            pg.close()

            started = time.perf_counter()  # the same graph over float16 copies of the vectors, same table
            with pg.engine.begin() as conn:
                conn.exec_driver_sql("SET maintenance_work_mem = '3GB'")
                conn.exec_driver_sql("SET max_parallel_maintenance_workers = 1")
                conn.exec_driver_sql(
                    f"CREATE INDEX {TABLE}_hnsw_half ON {TABLE} USING hnsw ((embedding::halfvec({vectors.shape[1]}))"
                    f" halfvec_cosine_ops) WITH (m = {args.m}, ef_construction = {args.ef_construction})"
                )
            half_build = time.perf_counter() - started
            half = PgVectorIndex(server.url(), vectors.shape[1], ef_search=args.ef_search, half_precision=True)
            with half.engine.connect() as conn:
                half_size = conn.exec_driver_sql(f"SELECT pg_relation_size('{TABLE}_hnsw_half')").scalar_one()
            plain, filtered = (
                measure(half, queries, truth, no_filter),
                measure(half, queries, filtered_truth, by_category),
            )
            rows.append(("pgvector HNSW over halfvec (float16)", half_build, int(half_size), plain, filtered))
            half.close()
        finally:
            server.stop()
            shutil.rmtree(server.data_dir.parent, ignore_errors=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    print(f"\n{'index':42} {'build s':>8} {'MB/1M items':>12} {'recall@10':>10} {'p50 ms':>8} {'p95 ms':>8}"
          f" {'filtered recall':>16} {'p50 ms':>8} {'p95 ms':>8}")  # fmt: skip
    for name, build, size, (r, p50, p95), (fr, fp50, fp95) in rows:
        per_million = size / len(vectors) * 1e6 / 2**20
        timing = f"{r:10.3f} {p50:8.2f} {p95:8.2f} {fr:16.3f} {fp50:8.2f} {fp95:8.2f}"
        print(f"{name:42} {build:8.1f} {per_million:12.0f} {timing}")
    print(
        f"pgvector table (vectors + attributes, TOAST included): {table / len(vectors) * 1e6 / 2**20:.0f} MB/1M items"
    )
    print(f"\nfiltered = one category (~1/10 of the catalog); machine: {machine()}")


if __name__ == "__main__":
    main()
