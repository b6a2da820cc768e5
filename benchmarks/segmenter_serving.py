"""What the trained garment segmenter costs in serving: reading a busy-background shopper photo with it vs without.

Busy-background shopper-style photos of demo items (`evaluation.shopper`, style "busy"; no person) are read by
the service's analyser twice, in the same run: with the registry's active segmenter and with the classical
mask (colour model, else GrabCut) it replaces. Prints p50/p95 of the whole `analyse_photo` and of the mask step
alone, and the machine. Baseline: no segmenter. (Mask quality: `stylelens eval vision`, docs/eval/segmenter.)

    .venv/bin/stylelens models prepare   # registers and activates the committed segmenter
    .venv/bin/python benchmarks/segmenter_serving.py [--photos 30] [--threads 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, "benchmarks")
from _common import machine  # noqa: E402

from stylelens.catalog.demo import demo_products  # noqa: E402
from stylelens.config import Settings, VisionSettings  # noqa: E402
from stylelens.evaluation.shopper import shopper_photo  # noqa: E402
from stylelens.services import Services  # noqa: E402
from stylelens.vision.analysis import GarmentAnalyser  # noqa: E402
from stylelens.vision.foreground import garment_mask, reduce_photo  # noqa: E402
from stylelens.vision.segmenter import foreground_mask  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=30)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    services = Services(Settings(vision=VisionSettings(models_dir=Settings().models_dir, threads=args.threads)))
    with_segmenter = services.analyser
    if with_segmenter.segmenter is None:
        sys.exit("no active segmenter: run `stylelens models prepare` first")
    # The same embedder, heads and person models; only the segmenter differs.
    without = GarmentAnalyser(with_segmenter.embedder, persons=with_segmenter.persons, blur=with_segmenter.blur)
    without.categories, without.pattern_head = with_segmenter.categories, with_segmenter.pattern_head
    with_segmenter.load()
    without.load()

    items = list(demo_products(7, args.photos * 5))[::5]
    photos = [
        shopper_photo(i.image, i.mask, i.product.category, "busy", np.random.default_rng([7, n]))
        for n, i in enumerate(items)
    ]
    rows = {}
    for name, analyser in (("classical mask (baseline)", without), ("trained segmenter", with_segmenter)):
        whole, mask_ms = [], []
        for photo in photos:
            started = time.perf_counter()
            analyser.analyse_photo(photo)
            whole.append((time.perf_counter() - started) * 1000)
            rgb = np.asarray(photo)
            reduced = reduce_photo(rgb)
            started = time.perf_counter()
            if analyser.segmenter is None:
                garment_mask(rgb, reduced)
            else:
                foreground_mask(rgb, analyser.segmenter, reduced)
            mask_ms.append((time.perf_counter() - started) * 1000)
        rows[name] = (whole, mask_ms)

    print(f"machine: {machine()}; ONNX Runtime threads {args.threads}; {len(photos)} busy-background photos (640 px)")
    for name, (whole, mask_ms) in rows.items():
        print(
            f"{name:26s} analyse_photo p50 {statistics.median(whole):6.1f} ms p95 {np.percentile(whole, 95):6.1f} ms"
            f" | mask step p50 {statistics.median(mask_ms):6.1f} ms p95 {np.percentile(mask_ms, 95):6.1f} ms"
        )


if __name__ == "__main__":
    main()
