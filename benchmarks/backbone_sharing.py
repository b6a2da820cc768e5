"""The backbone alone on many batches, the two ways the embedder runs it, alternating in the same run.

`Embedder.predict_many` shares batches out to one single-threaded ONNX Runtime session per inference thread,
each on its own thread (as a catalog sync or an evaluation embeds many photos); the other way is the embedder's
one session with every inference thread, batch after batch (as for a shopper's photo). Both read the same
preprocessed batches of 16 catalog images (the garment squares of the loopback shop's products). Prints, for
each round, images per second and CPU per image (all threads) of each way, then their medians and the ratios,
and the resident memory the single-threaded sessions add (Linux: /proc/self/status).

    .venv/bin/python benchmarks/backbone_sharing.py [--images 640] [--rounds 5] [--threads 2]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, "benchmarks")
from _common import machine  # noqa: E402
from _shop import fresh_services  # noqa: E402
from shop_server import Shop  # noqa: E402

from stylelens.vision.foreground import garment_mask  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=640)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    services = fresh_services(args.threads)
    embedder = services.embedder
    embedder.load()
    shop = Shop.generate(args.images)
    folder = Path(tempfile.mkdtemp(prefix="stylelens-shop-"))
    shop.write_static(folder, "http://127.0.0.1")
    images = [
        services.image_fetcher.decode((folder / "images" / f"{pid}-v0.png").read_bytes()) for pid in shop.products
    ]
    batches = [
        embedder.preprocess_batch(images[i : i + 16], [garment_mask(np.asarray(img)) for img in images[i : i + 16]])
        for i in range(0, len(images), 16)
    ]
    ways: dict[str, Callable[[], object]] = {
        "shared out to single-threaded sessions": lambda: embedder.predict_many(batches),
        "one session with every thread": lambda: [embedder.predict(batch) for batch in batches],
    }
    # Warm, the session with every thread first: the single-threaded sessions are made on first use, and what
    # they add to the process's resident memory is what a sync's worker holds more.
    ways["one session with every thread"]()
    before = _resident_mb()
    ways["shared out to single-threaded sessions"]()
    added = _resident_mb() - before
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in ways}
    print(f"machine: {machine()}, {embedder.threads} inference threads, {len(images)} images in batches of 16")
    print(f"the {embedder.threads} single-threaded sessions add {added} MB to the process's resident memory")
    for round_ in range(1, args.rounds + 1):
        cells = []
        for name, run in ways.items():
            before, started = _cpu(), time.perf_counter()
            run()
            wall, cpu = time.perf_counter() - started, _cpu() - before
            results[name].append((len(images) / wall, 1000 * cpu / len(images)))
            cells.append(f"{name}: {results[name][-1][0]:.1f} images/s, {results[name][-1][1]:.2f} ms CPU/image")
        print(f"round {round_}: " + "; ".join(cells))
    medians = {
        name: (statistics.median(r for r, _ in rows), statistics.median(c for _, c in rows))
        for name, rows in results.items()
    }
    (shared_rate, shared_cpu), (one_rate, one_cpu) = medians.values()
    for name, (rate, cpu) in medians.items():
        print(f"median, {name}: {rate:.1f} images/s, {cpu:.2f} ms CPU per image")
    print(
        f"shared out / one session: {shared_rate / one_rate:.2f}x the images per second, "
        f"{shared_cpu / one_cpu:.2f}x the CPU per image"
    )


def _resident_mb() -> int:
    """The process's resident memory (VmRSS), in MB."""
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) // 1024


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
