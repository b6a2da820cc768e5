"""How fast `stylelens data prepare fashion-mnist` is, and what its near-duplicate search saves.

Prints, from one run on this machine:
- perceptual hash per picture: stylelens.data's matrix DCT vs imagehash.phash (the reference; same bits);
- near-duplicate pairs among all 70,000 Fashion-MNIST hashes: multi-index hashing vs a brute-force
  numpy popcount over every pair (the baseline), and that both find the same pairs;
- the whole prepare (write 70,000 PNGs + manifest, then the duplicate/leakage check), wall and CPU seconds.

Run: .venv/bin/python benchmarks/data_prepare.py [--skip-prepare]
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import machine
from PIL import Image

from stylelens.catalog.fashion_mnist import load_fashion_mnist
from stylelens.data.dedup import DEFAULT_THRESHOLD, hash_values, near_pairs
from stylelens.data.manifest import perceptual_hash
from stylelens.data.prepare import prepare_dataset
from stylelens.data.sources.fashion_mnist import FashionMnistSource


def brute_force_pairs(values: np.ndarray, threshold: int) -> int:
    """The baseline: every pair's Hamming distance, in row blocks."""
    found = 0
    for start in range(0, len(values), 1024):
        rows = values[start : start + 1024]
        distances = np.bitwise_count(rows[:, None] ^ values[None, :])
        upper = np.arange(start, start + len(rows))[:, None] < np.arange(len(values))[None, :]
        found += int(((distances <= threshold) & upper).sum())
    return found


def main() -> None:
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}")
    images = np.concatenate([load_fashion_mnist("train")[0], load_fashion_mnist("test")[0]])
    sample = [Image.fromarray(images[i]) for i in range(0, 70000, 14)]  # 5,000 pictures

    import imagehash

    started = time.perf_counter()
    reference = [str(imagehash.phash(p)) for p in sample]
    theirs = (time.perf_counter() - started) / len(sample) * 1e6
    started = time.perf_counter()
    ours = [perceptual_hash(p) for p in sample]
    mine = (time.perf_counter() - started) / len(sample) * 1e6
    same = sum(a == b for a, b in zip(ours, reference, strict=True))
    print(
        f"phash per picture: {mine:.0f} us (stylelens) vs {theirs:.0f} us (imagehash); same bits {same}/{len(sample)}"
    )

    values, _ = hash_values([perceptual_hash(Image.fromarray(p)) for p in images])
    started = time.perf_counter()
    pairs = near_pairs(values, DEFAULT_THRESHOLD)
    indexed = time.perf_counter() - started
    started = time.perf_counter()
    brute = brute_force_pairs(values, DEFAULT_THRESHOLD)
    baseline = time.perf_counter() - started
    print(
        f"near pairs among {len(values)} hashes (<= {DEFAULT_THRESHOLD} bits): {len(pairs)} in {indexed:.2f} s "
        f"(multi-index) vs {brute} in {baseline:.2f} s (brute force)"
    )

    if "--skip-prepare" in sys.argv:
        return
    out = Path(tempfile.mkdtemp(prefix="fmnist-")) / "fashion-mnist"
    cpu, started = time.process_time(), time.perf_counter()
    report = prepare_dataset(FashionMnistSource(), out)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"prepare fashion-mnist: {report.added} items in {wall:.1f} s wall, {cpu:.1f} s CPU "
        f"(write {report.seconds['write']:.1f} s, check {report.seconds['check']:.1f} s); "
        f"{len(report.duplicates.near_pairs)} near-duplicate pairs, {len(report.duplicates.leaking_pairs)} leaking"
    )
    shutil.rmtree(out.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
