"""Images per second from the shop's feed to the index, against the backbone's batch inference alone.

A static HTTP server process on loopback plays the shop (a Merchant Center XML feed and 64..128-px PNG images);
a full sync from empty runs the whole path: feed download and parse, concurrent image fetch, decode, garment
mask, colours, embedding, JPEG/mask encoding, blob and database writes, index upserts and save. Then, in the
same run, the backbone alone (ONNX Runtime on the same images, already preprocessed, batches of 16), timed just
before and just after the sync (their mean: the speed of a shared machine drifts), both ways the embedder runs
it: shared out to one single-threaded session per inference thread (as the sync runs many photos) and on one
session with every thread (as for a shopper's photo); the faster of the two is the baseline. Prints
both rates and their ratio (the goal is >= 0.6), the machine, and for reference the analyser alone (what the
vision side costs per image without any of the integration: fetch, database, blobs), and the CPU time per image
the sync took in this process and in the shop's server process (on 2 cores, wall time can not drop below half
their sum), and the CPU ratio backbone / (sync + server): the throughput ratio could reach it only if both
cores were busy all the time. Last, each step of the sync run on its own on the same images (one thread, CPU
per image against the backbone's), and what is left of the sync's CPU: where a ratio of 0.6 would have to find
its time. The baseline is the plain backbone (normalisation stays outside the ONNX graph, in both).

    .venv/bin/python benchmarks/ingest_throughput.py [--products 2000] [--threads 2] [--image-side 1200]
        [--shop-protocol HTTP/1.1|HTTP/1.0]

`--image-side` serves every image as a JPEG of that side instead (shops' packshots are 1,000-2,000 px), to
see what a real feed costs; the goal's figure is the default, the shop's small PNGs.

`--bound` then syncs the same feed a second time, into an empty catalog, with each image's garment mask and
colours looked up (worked out before the clock starts) instead of computed: the ratio the rest of the path
(fetch, decode, crop, backbone, blobs, database, index) allows if those two steps cost nothing. It bounds what
any speed-up of the mask and colours could give; it is not the product's figure.

`--floor` then runs only what no sync can do without, on the same images from the same server: the fetcher's
download and decode (same threads, same limits) and the embedder's crop, resize and backbone (batches of 64
photos, two batches fetched ahead, as the sync), each image's mask looked up; no feed, mask, colours, encodings,
database, blobs or index. Its ratio is an upper bound for the sync's: all the rest would have to cost nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import resource
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple, TypeVar

import numpy as np
from PIL import Image

sys.path.insert(0, "benchmarks")
from _common import machine  # noqa: E402
from _shop import add_shop_protocol, fresh_services, static_server  # noqa: E402
from shop_server import Shop  # noqa: E402

from stylelens.catalog import ingest, sync  # noqa: E402
from stylelens.catalog.fetch import FetchResult  # noqa: E402
from stylelens.catalog.ingest import encode_mask_png  # noqa: E402
from stylelens.catalog.sync import sync_source  # noqa: E402
from stylelens.services import Services  # noqa: E402
from stylelens.vision.colors import garment_colors  # noqa: E402
from stylelens.vision.decode import encode_jpeg  # noqa: E402
from stylelens.vision.embedder import Embedder  # noqa: E402
from stylelens.vision.foreground import garment_mask  # noqa: E402

T = TypeVar("T")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--image-side", type=int, default=0, help="serve each image as a JPEG this many pixels a side (0: the PNG)"
    )
    parser.add_argument(
        "--bound", action="store_true", help="also sync with the mask and colours looked up: what the rest allows"
    )
    parser.add_argument(
        "--floor", action="store_true", help="also fetch, decode and embed alone: what no sync can do without"
    )
    add_shop_protocol(parser)
    args = parser.parse_args()
    services = fresh_services(args.threads)
    services.embedder.load()
    shop = Shop.generate(args.products)
    folder = Path(tempfile.mkdtemp(prefix="stylelens-shop-"))
    with static_server(folder, args.shop_protocol) as url:
        shop.write_static(folder, url)
        if args.image_side:
            _as_large_jpegs(folder / "images", args.image_side)
        # As the sync reads them (a large JPEG at a reduced DCT scale: the fetcher's image_side).
        images = [
            services.image_fetcher.decode((folder / "images" / f"{pid}-v0.png").read_bytes()) for pid in shop.products
        ]
        embedder = services.embedder
        batches = [
            np.stack([embedder.preprocess(img, garment_mask(np.asarray(img))) for img in images[i : i + 16]])
            for i in range(0, len(images), 16)
        ]
        embedder.predict_many(batches[:2])  # the single-threaded sessions are made on first use: not on the clock
        backbone_before = _backbone(embedder, batches)
        before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        report = sync_source(services.catalog_sync, f"{url}/feed.xml", shop_url=url, max_bytes=10**10)
        sync_s = time.perf_counter() - started
        sync_cpu = _cpu(resource.getrusage(resource.RUSAGE_SELF)) - _cpu(before)
    server_cpu = _cpu(resource.getrusage(resource.RUSAGE_CHILDREN))  # the server process, ended with the block
    assert report.added == args.products and len(services.index) == args.products, report.summary()
    backbone_after = _backbone(embedder, batches)
    # The machine's speed drifts (other jobs): the baseline is timed just before and just after the sync.
    backbone_s, backbone_cpu, faster = _baseline(backbone_before, backbone_after)

    started = time.perf_counter()
    for i in range(0, len(images), 64):
        services.analyser.analyse_batch(images[i : i + 64])
    analyser_s = time.perf_counter() - started

    feed_rate, backbone_rate = args.products / sync_s, args.products / backbone_s
    analyser_rate = args.products / analyser_s
    served = f"{args.image_side}-px JPEG" if args.image_side else "64..128-px PNG"
    print(
        f"machine: {machine()}, {args.threads} inference threads; images served as {served}, "
        f"the shop answering {args.shop_protocol}"
    )
    print(f"feed -> index (full sync of {args.products} products): {feed_rate:.1f} images/s ({sync_s:.1f} s)")
    print(
        f"backbone batch inference alone (batches of 16):      {backbone_rate:.1f} images/s ({backbone_s:.1f} s, "
        f"{faster}, the faster way: the baseline)"
    )
    for name, field in (
        ("shared out to single-threaded sessions", "shared_s"),
        ("one session with every thread", "one_session_s"),
    ):
        rates = [args.products / getattr(run, field) for run in (backbone_before, backbone_after)]
        print(f"  {name}: {rates[0]:.1f} images/s before the sync, {rates[1]:.1f} after")
    print(f"ratio: {feed_rate / backbone_rate:.2f} (goal >= 0.6)")
    print(
        f"for reference, the analyser alone (mask, colours, preprocessing, embedding of decoded images): "
        f"{analyser_rate:.1f} images/s; feed -> index / analyser alone: {feed_rate / analyser_rate:.2f}"
    )
    print(
        f"CPU per image during the sync: {1000 * sync_cpu / args.products:.2f} ms in this process (all threads), "
        f"{1000 * server_cpu / args.products:.2f} ms in the shop's server; the backbone alone takes "
        f"{1000 * backbone_cpu / args.products:.2f} ms"
    )
    floor = backbone_cpu / (sync_cpu + server_cpu)
    print(
        f"CPU ratio backbone alone / (sync + shop server): {floor:.2f} (with both cores always busy, the "
        "throughput ratio can not exceed this)"
    )
    with static_server(folder, args.shop_protocol) as url:
        steps = _step_table(services, url, list(shop.products)[: min(400, args.products)], backbone_cpu / args.products)
    _print_steps(steps, sync_cpu / args.products, server_cpu / args.products)
    if args.bound:
        _bound(args, shop, folder, images, batches)
    if args.floor:
        _floor(args, shop, folder, images, batches)


def _bound(
    args: argparse.Namespace, shop: Shop, folder: Path, images: list[Image.Image], batches: list[np.ndarray]
) -> None:
    """The same full sync into an empty catalog with each image's mask and colours looked up, not computed."""
    services = fresh_services(args.threads)
    services.embedder.load()
    masks = _mask_table(images)
    colours: dict[int, object] = {}  # by the mask's id: the sync asks for the colours of the mask it was given
    for rgb in map(_rgb, images):
        mask = masks[_key(rgb)]
        colours[id(mask)] = garment_colors(rgb, mask)
    # The sync's own code, with the two steps answered from the tables (the digest of the pixels is the key).
    original = ingest.garment_mask, ingest.garment_colors
    asked: list[bytes] = []

    def mask_of(rgb: np.ndarray, reduced: object = None) -> np.ndarray:
        asked.append(_key(rgb))
        return masks[asked[-1]]

    ingest.garment_mask = mask_of
    ingest.garment_colors = lambda rgb, mask: colours[id(mask)]
    try:
        with static_server(folder, args.shop_protocol) as url:
            shop.write_static(folder, url)  # the feed names this server (the images on disk stay as they are)
            feed = f"{url}/feed.xml"
            report, timing = _between_backbones(
                services.embedder,
                batches,
                lambda: sync_source(services.catalog_sync, feed, shop_url=url, max_bytes=10**10),
            )
    finally:
        ingest.garment_mask, ingest.garment_colors = original
    assert report.added == args.products and len(services.index) == args.products, report.summary()
    # Every image's mask came from the table (a miss would have been worked out by the analyser, on the clock).
    assert len(asked) == args.products and all(key in masks for key in asked), (len(asked), args.products)
    print(
        f"bound, the same sync with the garment mask and colours looked up (not computed): "
        f"{timing.summary(args.products)} (what the rest of the path allows if both steps were free)"
    )


def _floor(
    args: argparse.Namespace, shop: Shop, folder: Path, images: list[Image.Image], batches: list[np.ndarray]
) -> None:
    """Every image fetched, decoded and embedded with its mask looked up, pipelined as the sync: nothing else."""
    services = fresh_services(args.threads)
    services.embedder.load()
    fetcher, embedder = services.image_fetcher, services.embedder
    masks = _mask_table(images)

    def embed(stream: Iterator[FetchResult]) -> int:
        pictures = [result.image for result in stream if result.image is not None]  # a failure: the count falls short
        return len(embedder.embed(pictures, [masks[_key(_rgb(p))] for p in pictures]))

    def fetch_and_embed(urls: list[str]) -> int:
        done = 0
        pending: deque[Iterator[FetchResult]] = deque()
        for start in range(0, len(urls), sync.BATCH):
            pending.append(fetcher.fetch_stream(urls[start : start + sync.BATCH]))
            if len(pending) > sync.PREFETCH:
                done += embed(pending.popleft())
        while pending:
            done += embed(pending.popleft())
        return done

    with static_server(folder, args.shop_protocol) as url:
        urls = [f"{url}/images/{pid}-v0.png" for pid in shop.products]
        done, timing = _between_backbones(embedder, batches, lambda: fetch_and_embed(urls))
    assert done == args.products, (done, args.products)
    print(
        f"floor, only download, decode, crop, resize and backbone (masks looked up; no feed, mask, colours, "
        f"encodings, database, blobs or index): {timing.summary(args.products)} (an upper bound for the sync, "
        "which does all of this and more)"
    )


class Timing(NamedTuple):
    """A run's wall and CPU seconds (this process, all threads) and the backbone's alone, timed around it."""

    seconds: float
    cpu: float
    backbone_s: float

    def summary(self, images: int) -> str:
        rate, backbone_rate = images / self.seconds, images / self.backbone_s
        return (
            f"{rate:.1f} images/s, {1000 * self.cpu / images:.2f} ms CPU per image; backbone alone "
            f"{backbone_rate:.1f} images/s; ratio {rate / backbone_rate:.2f}"
        )


def _between_backbones(embedder: Embedder, batches: list[np.ndarray], run: Callable[[], T]) -> tuple[T, Timing]:
    """`run()` on the clock, with the backbone alone timed just before and just after (the baseline, see
    `_baseline`); the backbone's single-threaded sessions are made before the clock."""
    embedder.predict_many(batches[:2])
    backbone_before = _backbone(embedder, batches)
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    value = run()
    seconds = time.perf_counter() - started
    cpu = _cpu(resource.getrusage(resource.RUSAGE_SELF)) - _cpu(before)
    backbone_after = _backbone(embedder, batches)
    return value, Timing(seconds, cpu, _baseline(backbone_before, backbone_after)[0])


def _mask_table(images: list[Image.Image]) -> dict[bytes, np.ndarray]:
    """Each image's garment mask, by the digest of its pixels (`_key`), worked out before any clock starts."""
    return {_key(rgb): garment_mask(rgb) for rgb in map(_rgb, images)}


def _rgb(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"))


def _key(rgb: np.ndarray) -> bytes:
    """An image's digest for the look-up, from every 4th pixel of every 4th row (a 600-px photo's whole digest
    would cost a millisecond, on the clock)."""
    return hashlib.blake2b(np.ascontiguousarray(rgb[::4, ::4]).data, digest_size=16).digest() + str(rgb.shape).encode()


def _as_large_jpegs(folder: Path, side: int) -> None:
    """Each image file replaced by the same picture as a `side`-px JPEG (quality 90), as shops serve packshots;
    the file keeps its name (the fetcher reads the format from the bytes, not from the name)."""
    for path in sorted(folder.iterdir()):
        picture = Image.open(path).convert("RGB").resize((side, side), Image.Resampling.BICUBIC)
        buffer = io.BytesIO()
        picture.save(buffer, format="JPEG", quality=90)
        path.write_bytes(buffer.getvalue())


def _step_table(services: Services, url: str, ids: list[str], backbone_per_image: float) -> list[tuple[str, float]]:
    """CPU seconds per image of each step of the sync, run one by one on the same images (one thread each)."""
    fetcher, embedder = services.image_fetcher, services.embedder
    urls = [f"{url}/images/{pid}-v0.png" for pid in ids]
    data = [fetcher.download(u) for u in urls]
    images = [fetcher.decode(d) for d in data]
    rgbs = [np.asarray(img) for img in images]
    masks = [garment_mask(rgb) for rgb in rgbs]
    pairs = list(zip(images, rgbs, masks, strict=True))
    chunks = [(images[i : i + 16], masks[i : i + 16]) for i in range(0, len(images), 16)]
    steps: list[tuple[str, Callable[[], object]]] = [
        ("download (HTTP client)", lambda: [fetcher.download(u) for u in urls]),
        ("decode and checks", lambda: [fetcher.decode(d) for d in data]),
        ("garment mask", lambda: [garment_mask(rgb) for rgb in rgbs]),
        ("colours", lambda: [garment_colors(rgb, m) for _, rgb, m in pairs]),
        (
            "JPEG + mask PNG for the blob store",
            lambda: [(encode_jpeg(i, quality=92), encode_mask_png(m)) for i, _, m in pairs],
        ),
        ("crop + resize for the backbone", lambda: [embedder.preprocess_batch(i, m) for i, m in chunks]),
    ]
    out = []
    for name, step in steps:
        step()  # warm
        before = _cpu(resource.getrusage(resource.RUSAGE_SELF))
        step()
        out.append((name, (_cpu(resource.getrusage(resource.RUSAGE_SELF)) - before) / len(ids)))
    return [*out, ("backbone (batches of 16)", backbone_per_image)]


def _print_steps(steps: list[tuple[str, float]], sync_per_image: float, server_per_image: float) -> None:
    backbone = steps[-1][1]
    rest = sync_per_image - sum(cpu for _, cpu in steps)
    rows = [
        *steps,
        ("the rest: feed, database, blobs, index, threads", rest),
        ("shop server (other process)", server_per_image),
    ]
    print("CPU per image, each step on its own (x the backbone's CPU):")
    for name, cpu in rows:
        print(f"  {name:48s} {1000 * cpu:6.2f} ms  {cpu / backbone:5.2f}x")
    others = sum(cpu for _, cpu in rows) - backbone
    print(
        f"  {'all but the backbone':48s} {1000 * others:6.2f} ms  {others / backbone:5.2f}x  (a ratio of 0.6 needs "
        f"<= {1 / 0.6 - 1:.2f}x with both cores always busy)"
    )


class Backbone(NamedTuple):
    """Wall and CPU seconds (all threads) of the backbone alone over every batch, both ways the embedder runs it:
    shared out to its single-threaded sessions (as for many photos: the sync) and on its session with every
    thread (as for one batch)."""

    shared_s: float
    shared_cpu: float
    one_session_s: float
    one_session_cpu: float


def _backbone(embedder: Embedder, batches: list[np.ndarray]) -> Backbone:
    started, before = time.perf_counter(), _cpu(resource.getrusage(resource.RUSAGE_SELF))
    embedder.predict_many(batches)
    shared_s, shared_cpu = time.perf_counter() - started, _cpu(resource.getrusage(resource.RUSAGE_SELF)) - before
    started, before = time.perf_counter(), _cpu(resource.getrusage(resource.RUSAGE_SELF))
    for batch in batches:
        embedder.predict(batch)
    one_s, one_cpu = time.perf_counter() - started, _cpu(resource.getrusage(resource.RUSAGE_SELF)) - before
    return Backbone(shared_s, shared_cpu, one_s, one_cpu)


def _baseline(before: Backbone, after: Backbone) -> tuple[float, float, str]:
    """The backbone's seconds and CPU seconds over every batch, the mean of before and after the sync, the faster
    way of the two (the stricter baseline), and which way that was."""
    shared = ((before.shared_s + after.shared_s) / 2, (before.shared_cpu + after.shared_cpu) / 2)
    one = ((before.one_session_s + after.one_session_s) / 2, (before.one_session_cpu + after.one_session_cpu) / 2)
    if shared[0] <= one[0]:
        return *shared, "shared out to single-threaded sessions"
    return *one, "one session with every thread"


def _cpu(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
