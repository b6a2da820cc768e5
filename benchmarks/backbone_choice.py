"""Which frozen backbone embeds garments best: MobileNetV2, EfficientNet-Lite0, or both concatenated.

Runs the vision evaluation's exact-item retrieval (`stylelens.evaluation.vision.shopper_evaluation`: the same
demo catalog, the same shopper-style photos from `evaluation.shopper`, the same query choice) once per backbone.
Every backbone reads the same garment masks: the catalog's exact masks, and for each shopper photo the mask the
serving pipeline finds (GarmentAnalyser.analyse), so only the embedding differs. The ensemble is the two
L2-normalised vectors concatenated, each half weighted 1/sqrt(2) (cosine = mean of the two cosines).
Prints recall@1/@10 per shopper-photo style and overall, the embedding time per image (one shopper photo at a
time: crop + resize + ONNX Runtime; and batched catalog packshots) and the machine. MobileNetV2 is the baseline.

    .venv/bin/stylelens models prepare --backbone efficientnet_lite0
    .venv/bin/python benchmarks/backbone_choice.py [--catalog 1200] [--queries 240] [--threads 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, "benchmarks")
from _common import machine  # noqa: E402

from stylelens.catalog.demo import demo_products  # noqa: E402
from stylelens.evaluation import metrics  # noqa: E402
from stylelens.evaluation.shopper import STYLES, shopper_photo  # noqa: E402
from stylelens.vision.analysis import GarmentAnalyser  # noqa: E402
from stylelens.vision.embedder import Embedder  # noqa: E402
from stylelens.vision.person import PersonFinder  # noqa: E402

BACKBONES = ("mobilenet_v2", "efficientnet_lite0")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--catalog", type=int, default=1200)
    parser.add_argument("--queries", type=int, default=240)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--models", type=Path, default=Path("var") / "models")
    args = parser.parse_args()

    embedders = {name: Embedder(args.models, name, threads=args.threads) for name in BACKBONES}
    for embedder in embedders.values():
        embedder.load()
    items = list(demo_products(args.seed, args.catalog))
    images, masks = [i.image for i in items], [i.mask for i in items]

    catalog, catalog_ms = {}, {}
    for name, embedder in embedders.items():
        started = time.perf_counter()
        catalog[name] = embedder.embed(images, masks)
        catalog_ms[name] = (time.perf_counter() - started) * 1000 / len(items)

    # The shopper photos and the garment mask the serving pipeline finds in each (as the evaluation does).
    finder = GarmentAnalyser(embedders["mobilenet_v2"], persons=PersonFinder())
    finder.load()
    queries: list[tuple[int, str, object, object]] = []
    step = max(1, args.catalog // args.queries)
    for n, index in enumerate(range(0, args.catalog, step)[: args.queries]):
        item, style = items[index], STYLES[n % len(STYLES)]
        rng = np.random.default_rng([args.seed, n])
        photo = shopper_photo(item.image, item.mask, item.product.category, style, rng)
        garments = finder.analyse(photo)
        queries.append((index, style, photo, garments[0].mask if garments else None))

    query_vectors: dict[str, list[np.ndarray | None]] = defaultdict(list)
    query_ms: dict[str, list[float]] = defaultdict(list)
    for _, _, photo, mask in queries:
        for name, embedder in embedders.items():
            if mask is None:
                query_vectors[name].append(None)
                continue
            started = time.perf_counter()
            vector = embedder.embed([photo], [mask])[0]  # type: ignore[list-item]
            query_ms[name].append((time.perf_counter() - started) * 1000)
            query_vectors[name].append(vector)

    half = np.float32(1 / np.sqrt(2))
    catalog["ensemble"] = np.concatenate([catalog[n] * half for n in BACKBONES], axis=1)
    query_vectors["ensemble"] = [
        None if vs[0] is None else np.concatenate([v * half for v in vs])  # type: ignore[operator]
        for vs in zip(*(query_vectors[n] for n in BACKBONES), strict=True)
    ]
    query_ms["ensemble"] = [sum(ms) for ms in zip(*(query_ms[n] for n in BACKBONES), strict=True)]
    catalog_ms["ensemble"] = sum(catalog_ms[n] for n in BACKBONES)

    styles = [style for _, style, _, _ in queries]
    print(f"machine: {machine()}; ONNX Runtime threads {args.threads}")
    print(f"catalog {args.catalog} demo items (seed {args.seed}), {len(queries)} shopper-style photos; "
          f"{sum(m is None for *_, m in queries)} with no garment found (counted as misses)")  # fmt: skip
    header = f"{'embedding':20} {'style':9} {'photos':>6} {'R@1':>6} {'R@10':>6}"
    print("\n" + header + "\n" + "-" * len(header))
    for name in (*BACKBONES, "ensemble"):
        ranks = []
        for (index, _, _, _), vector in zip(queries, query_vectors[name], strict=True):
            if vector is None:
                ranks.append(args.catalog)
                continue
            ranks.append(int(metrics.ranks_of_truth((catalog[name] @ vector)[None], [index])[0]))
        rank_array = np.asarray(ranks)
        for style in (*STYLES, "overall"):
            chosen = rank_array if style == "overall" else rank_array[[s == style for s in styles]]
            if len(chosen):
                r1, r10 = metrics.recall_at_k(chosen, 1), metrics.recall_at_k(chosen, 10)
                print(f"{name:20} {style:9} {len(chosen):6d} {r1:6.3f} {r10:6.3f}")
    print(f"\n{'embedding':20} {'dim':>5} {'shopper photo p50 ms':>21} {'p95 ms':>7} {'catalog batched ms/img':>23}")
    for name in (*BACKBONES, "ensemble"):
        samples = query_ms[name]
        p50, p95 = statistics.median(samples), float(np.percentile(samples, 95))
        dim = catalog[name].shape[1]
        print(f"{name:20} {dim:5d} {p50:21.1f} {p95:7.1f} {catalog_ms[name]:23.1f}")
    print("\nbaseline: mobilenet_v2 (the serving default's frozen backbone)")


if __name__ == "__main__":
    main()
