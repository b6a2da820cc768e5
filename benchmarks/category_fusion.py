"""Choosing how the search names a garment: its own category scores, the catalog neighbours' vote, or both.

The photos are shopper-style photos (`evaluation.shopper`, all five styles) of demo catalog items that
`stylelens eval vision` does not query (its queries are every `step`-th item from 0; these start `--offset`
items later, with other photo seeds), so the constants chosen here are not tuned on the evaluation. For each
photo the real analyser reads the garment (its own scores: `CategoryModel`), the catalog's packshot embeddings
give its nearest neighbours, and `catalog_category` is scored on a grid of vote powers and weights
(weight 0: the garment's own scores alone; the `own=[]` rows: the catalog vote alone). Accuracy is at the demo
catalog's 10-class level, as in the evaluation.

    .venv/bin/python benchmarks/category_fusion.py [--catalog 2400] [--queries 300] [--offset 4]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, "benchmarks")
from _common import machine  # noqa: E402

from stylelens.catalog.demo import demo_products  # noqa: E402
from stylelens.config import Settings, VisionSettings  # noqa: E402
from stylelens.evaluation.shopper import STYLES, shopper_photo  # noqa: E402
from stylelens.services import Services  # noqa: E402
from stylelens.vision.categories import (  # noqa: E402
    CATEGORY_VOTERS,
    VOTE_POWER,
    VOTE_WEIGHT,
    catalog_category,
    family_of,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=int, default=2400)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--offset", type=int, default=4, help="first item queried (the evaluation starts at 0)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    started = time.perf_counter()
    settings = Settings(vision=VisionSettings(models_dir=Path("var") / "models", threads=2))
    analyser = Services(settings).analyser
    analyser.load()
    items = list(demo_products(args.seed, args.catalog))
    catalog = []
    for start in range(0, len(items), 32):
        batch = items[start : start + 32]
        found = analyser.analyse_batch([i.image for i in batch], [i.mask for i in batch], attributes=False)
        catalog += [g[0].embedding for g in found]
    matrix = np.stack(catalog)
    categories = [i.product.category for i in items]
    step = max(1, args.catalog // args.queries)
    readings = []  # (own scores, neighbours, truth)
    for n, index in enumerate(range(args.offset, args.catalog, step)[: args.queries]):
        item = items[index]
        rng = np.random.default_rng([args.seed, args.offset, n, 17])
        photo = shopper_photo(item.image, item.mask, item.product.category, STYLES[n % len(STYLES)], rng)
        garments = analyser.analyse(photo)
        if not garments:
            readings.append(([], [], item.product.category))
            continue
        scores = matrix @ garments[0].embedding
        nearest = np.argsort(-scores)[:CATEGORY_VOTERS]
        readings.append(
            (garments[0].categories, [(categories[i], float(scores[i])) for i in nearest], item.product.category)
        )

    def accuracy(power: float, weight: float, own: bool = True) -> float:
        right = [
            family_of(catalog_category(o if own else [], nb, power=power, weight=weight).label) == truth
            for o, nb, truth in readings
        ]
        return float(np.mean(right))

    print(f"machine: {machine()}")
    print(
        f"{len(readings)} shopper photos of catalog items from item {args.offset}, step {step}; catalog {args.catalog}"
    )
    own_only = np.mean([bool(o) and family_of(o[0].label) == t for o, _, t in readings])
    print(f"garment's own scores alone: {own_only:.3f}")
    weights = (0.5, 1.0, 2.0, 4.0)
    print("vote power | vote alone | " + " | ".join(f"own + {w:g} x vote" for w in weights))
    for power in (4, 8, 16, 32, 64):
        row = [accuracy(power, 1.0, own=False)] + [accuracy(power, w) for w in weights]
        print(f"{power:>10} | " + " | ".join(f"{a:.3f}" for a in row))
    print(f"chosen (VOTE_POWER {VOTE_POWER}, VOTE_WEIGHT {VOTE_WEIGHT:g}): {accuracy(VOTE_POWER, VOTE_WEIGHT):.3f}")
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
