"""Choosing how the search names a garment: the category head, the silhouette classifier, the catalog's vote.

The photos are shopper-style photos (`evaluation.shopper`, all five styles) of demo catalog items that
`stylelens eval vision` does not query (its queries are every `step`-th item from 0; these start `--offset`
items later, with other photo seeds), so the constants chosen here are not tuned on the evaluation. For each
photo the real analyser finds the garment. Its own scores (`CategoryModel`: the category head joined with the
silhouette classifier, whose weight is the first grid; weight 0: the head alone) and the catalog's nearest
packshots give `catalog_category`, scored on a second grid of vote powers and weights ("vote alone": without
the garment's own scores). Accuracy is at the demo catalog's 10-class level, as in the evaluation.

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
from stylelens.evaluation.vision import catalog_embeddings  # noqa: E402
from stylelens.services import Services  # noqa: E402
from stylelens.vision.categories import (  # noqa: E402
    CATEGORY_VOTERS,
    SILHOUETTE_WEIGHT,
    VOTE_POWER,
    VOTE_WEIGHT,
    CategoryModel,
    CategoryScore,
    catalog_category,
    family_of,
)
from stylelens.vision.shape import shape_features  # noqa: E402

Reading = tuple[list[CategoryScore], list[tuple[str, float]], str]  # own scores, neighbours, truth


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
    model = analyser.categories
    if model is None:
        raise SystemExit("no category head: run `stylelens models prepare` first")
    items = list(demo_products(args.seed, args.catalog))
    matrix = catalog_embeddings(analyser, items)
    categories = [i.product.category for i in items]
    step = max(1, args.catalog // args.queries)
    photos = []  # (features, logits, shape, neighbours, truth), None where no garment was found
    for n, index in enumerate(range(args.offset, args.catalog, step)[: args.queries]):
        item = items[index]
        rng = np.random.default_rng([args.seed, args.offset, n, 17])
        read = analyser.analyse_photo(shopper_photo(item.image, item.mask, item.product.category, STYLES[n % 5], rng))
        if not read.garments:
            photos.append(None)
            continue
        garment = read.garments[0]
        shape = shape_features(np.asarray(read.image.convert("RGB")), garment.mask)
        _, logits = analyser.embedder.embed_with_logits([read.image], [garment.mask])
        scores = matrix @ garment.embedding
        neighbours = [(categories[i], float(scores[i])) for i in np.argsort(-scores)[:CATEGORY_VOTERS]]
        photos.append((np.concatenate([garment.embedding, shape]), logits[0], shape, neighbours, item.product.category))

    def readings(weight: float) -> list[Reading]:
        fused = CategoryModel(model.head, model.silhouette, weight)
        out: list[Reading] = []
        for p in photos:
            if p is None:
                out.append(([], [], "none"))
                continue
            features, logits, shape, neighbours, truth = p
            out.append((fused.top(fused.scores(features[None], logits[None], shape[None])[0]), neighbours, truth))
        return out

    print(f"machine: {machine()}")
    print(f"{len(photos)} shopper photos of catalog items from item {args.offset}, step {step}; catalog {args.catalog}")
    print(f"silhouette classifier: {'prepared' if model.silhouette is not None else 'none (run models prepare)'}")
    print("silhouette weight | garment's own scores (head x silhouette^weight)")
    for weight in (0.0, 0.5, 1.0, 2.0, 4.0) if model.silhouette is not None else (0.0,):
        right = np.mean([bool(o) and family_of(o[0].label) == t for o, _, t in readings(weight)])
        print(f"{weight:>17g} | {right:.3f}")
    chosen = readings(SILHOUETTE_WEIGHT if model.silhouette is not None else 0.0)

    def accuracy(power: float, weight: float, own: bool = True) -> float:
        right = [
            family_of(catalog_category(o if own else [], nb, power=power, weight=weight).label) == truth
            for o, nb, truth in chosen
        ]
        return float(np.mean(right))

    print(f"with silhouette weight {SILHOUETTE_WEIGHT:g}:")
    weights = (0.5, 1.0, 2.0, 4.0)
    print("vote power | vote alone | " + " | ".join(f"own + {w:g} x vote" for w in weights))
    for power in (4, 8, 16, 32, 64):
        row = [accuracy(power, 1.0, own=False)] + [accuracy(power, w) for w in weights]
        print(f"{power:>10} | " + " | ".join(f"{a:.3f}" for a in row))
    print(f"chosen (VOTE_POWER {VOTE_POWER}, VOTE_WEIGHT {VOTE_WEIGHT:g}): {accuracy(VOTE_POWER, VOTE_WEIGHT):.3f}")
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
