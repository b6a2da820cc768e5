"""The garment mask as the blob store keeps it: 1-bit PNG (what ingestion writes) against the 8-bit PNG it wrote
before, on the masks of demo products at a packshot's working size, in the same run.

    .venv/bin/python benchmarks/mask_png.py [--products 60] [--side 600]

Prints the encoding time per mask (best of 3 passes) and the mean size of each, and checks the 1-bit PNG reads
back to the same mask.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Callable

import numpy as np
from PIL import Image

sys.path.insert(0, "benchmarks")
from _common import machine  # noqa: E402

from stylelens.catalog.demo import demo_products  # noqa: E402
from stylelens.catalog.ingest import encode_mask_png  # noqa: E402
from stylelens.vision.foreground import garment_mask  # noqa: E402


def eight_bit_png(mask: np.ndarray) -> bytes:
    """The encoding ingestion used before: 0/255 in 8 bits, zlib level 6."""
    buffer = io.BytesIO()
    Image.fromarray(mask.astype(np.uint8) * 255).save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def best_ms(encode: Callable[[np.ndarray], bytes], masks: list[np.ndarray]) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for mask in masks:
            encode(mask)
        best = min(best, time.perf_counter() - started)
    return 1000 * best / len(masks)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=60)
    parser.add_argument("--side", type=int, default=600)
    args = parser.parse_args()
    images = [
        np.asarray(item.image.convert("RGB").resize((args.side, args.side), Image.Resampling.BICUBIC))
        for item in demo_products(seed=7, count=args.products)
    ]
    masks = [garment_mask(rgb) for rgb in images]
    assert all(np.array_equal(np.asarray(Image.open(io.BytesIO(encode_mask_png(m)))), m) for m in masks)
    old_ms, new_ms = best_ms(eight_bit_png, masks), best_ms(encode_mask_png, masks)
    old_kb = np.mean([len(eight_bit_png(m)) for m in masks]) / 1024
    new_kb = np.mean([len(encode_mask_png(m)) for m in masks]) / 1024
    print(f"machine: {machine()}; {len(masks)} demo product masks, {args.side}x{args.side}")
    print(f"8-bit PNG (before):  {old_ms:5.2f} ms per mask, {old_kb:5.2f} KB")
    print(f"1-bit PNG (stored):  {new_ms:5.2f} ms per mask, {new_kb:5.2f} KB")
    print(f"1-bit / 8-bit: time {new_ms / old_ms:.2f}, size {new_kb / old_kb:.2f}; read back exactly: yes")


if __name__ == "__main__":
    main()
