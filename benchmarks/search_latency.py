"""Whole POST /v1/search requests against the backbone alone, on the same 1024-px JPEG, in the same run.

Starts the real service (uvicorn) on a loopback port over a demo catalog, sends a shopper-style 1024x1024 JPEG
and measures end-to-end latency with an HTTP client; then times the backbone's inference alone (ONNX Runtime on
the preprocessed 224x224 input) and the embedder's whole call (preprocessing + inference) on the same image.
Prints p50/p95 of each and the ratio whole request / model alone (the goal is <= 1.5), the same search called
in process (no HTTP), the same upload sent to a route that answers at once (what HTTP alone costs), and each
step of reading the photo run on its own (where the time goes). Every search here reads its photo anew (the
service's memory of recent photos is off), except "same photo, another filter": a shopper changing a filter,
whose photo's garments the service remembers (VisionSettings.recent_photos), in process and over HTTP, where the
app sends the first answer's photo_id instead of the photo.

    .venv/bin/python benchmarks/search_latency.py [--size 2400] [--requests 200]
"""

from __future__ import annotations

import argparse
import io
import socket
import sys
import threading
import time
from typing import Annotated

import httpx
import numpy as np
import uvicorn
from fastapi import FastAPI, File, UploadFile
from fastapi.concurrency import run_in_threadpool
from PIL import Image
from sqlalchemy import select

sys.path.insert(0, "benchmarks")
from _common import demo_services, machine, p50_p95, timings_ms  # noqa: E402
from _stages import cpu_ms, print_stage_table, stage_table  # noqa: E402

from stylelens.api.app import create_app  # noqa: E402
from stylelens.recommend.search import SearchQuery, VisualSearch  # noqa: E402
from stylelens.services import Services  # noqa: E402
from stylelens.storage.models import Product  # noqa: E402


def shopper_jpeg(services, product_id: str) -> bytes:  # type: ignore[no-untyped-def]
    image = Image.open(io.BytesIO(services.blobs.get(f"products/{product_id}.jpg"))).convert("RGB")
    photo = image.rotate(8, fillcolor=image.getpixel((2, 2))).resize((1024, 1024), Image.Resampling.BICUBIC)
    out = io.BytesIO()
    photo.save(out, format="JPEG", quality=85)
    return out.getvalue()


def first_product_id(services: Services) -> str:
    """The demo catalog's first product: the one whose shopper-style photo the benchmarks send."""
    with services.sessions() as session:
        return str(session.scalars(select(Product.product_id).order_by(Product.pk).limit(1)).one())


UPLOAD_ONLY = "/benchmark/upload-only"


def _add_upload_only_route(app: FastAPI) -> None:
    """A route (this benchmark's app only) that takes the same multipart upload as /v1/search, reads it, hops to
    the thread pool as the search does, and answers an empty search: the cost of HTTP alone."""

    @app.post(UPLOAD_ONLY)
    async def upload_only(image: Annotated[UploadFile, File()]) -> dict[str, list[object]]:
        photo = await image.read()
        await run_in_threadpool(len, photo)
        return {"garments": [], "results": []}

    app.router.routes.insert(0, app.router.routes.pop())  # before the web app mounted at /


PRICES = [40.0, 60.0, 80.0, 120.0, None]  # the filters a shopper tries in turn


def _remembering(services: Services) -> VisualSearch:
    """The service's search as it runs by default, with its memory of recent photos on (the benchmark's is off)."""
    return services.visual_search(recent_photos=8)


def _filter_changes(services: Services, photo: bytes, requests: int) -> list[float]:
    """A shopper changing filters on one photo, as the service runs with VisionSettings.recent_photos: the first
    search reads the photo, the others take its garments from memory (every other figure here reads it anew)."""
    from stylelens.index.base import IndexFilter

    search = _remembering(services)
    search.search(photo, SearchQuery())
    queries = [SearchQuery(where=IndexFilter(max_price=PRICES[i % len(PRICES)])) for i in range(requests)]
    it = iter(queries)
    return timings_ms(lambda: search.search(photo, next(it)), requests - 3)


def _filter_changes_by_id(client: httpx.Client, services: Services, photo: bytes, requests: int) -> list[float]:
    """The same over HTTP as the app does it: one upload, then each filter sent with its answer's photo_id."""
    forgetful = services.search
    services.search = _remembering(services)  # type: ignore[misc]  # the running app reads services.search
    try:
        first = client.post("/v1/search", files={"image": ("photo.jpg", photo, "image/jpeg")})
        photo_id = first.raise_for_status().json()["photo_id"]
        fields = iter([{"photo_id": photo_id, **({"max_price": p} if p else {})} for p in PRICES] * requests)

        def by_id() -> None:
            client.post("/v1/search", data=next(fields)).raise_for_status()

        return timings_ms(by_id, requests - 3)
    finally:
        services.search = forgetful  # type: ignore[misc]  # every other figure reads its photo anew


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=2400)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    services = demo_services(args.size)
    photo = shopper_jpeg(services, first_product_id(services))
    port = free_port()
    # One client sends every request here: the per-client limit (120 searches a minute) would answer 429.
    security = services.settings.security.model_copy(update={"search_per_minute": 1_000_000})
    app = create_app(services.settings.model_copy(update={"security": security}), services)
    _add_upload_only_route(app)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)

    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:

        def request() -> None:
            response = client.post("/v1/search", files={"image": ("photo.jpg", photo, "image/jpeg")})
            response.raise_for_status()

        whole = timings_ms(request, args.requests)

        def upload_only() -> None:
            response = client.post(UPLOAD_ONLY, files={"image": ("photo.jpg", photo, "image/jpeg")})
            response.raise_for_status()

        upload = timings_ms(upload_only, args.requests)
        by_id = _filter_changes_by_id(client, services, photo, args.requests)
    server.should_exit = True
    thread.join()

    from stylelens.vision.decode import decode_image
    from stylelens.vision.foreground import garment_mask

    image = decode_image(photo, max_bytes=15 << 20, max_pixels=40_000_000)
    mask = garment_mask(np.asarray(image))
    tensor = services.embedder.preprocess(image, mask)[None]
    model = timings_ms(lambda: services.embedder.predict(tensor), args.requests)
    embed = timings_ms(lambda: services.embedder.embed([image], [mask]), args.requests)
    in_process = timings_ms(lambda: services.search.search(photo, SearchQuery()), args.requests)
    refined = _filter_changes(services, photo, args.requests)

    print(
        f"machine: {machine()}; catalog: {len(services.index)} products; photo: 1024x1024 JPEG, "
        f"{len(photo) // 1024} KB; {args.requests} requests each, sequential"
    )
    rows = [
        ("whole POST /v1/search (HTTP, loopback)", whole),
        ("backbone inference alone (ONNX Runtime)", model),
        ("embedder call (preprocess + inference)", embed),
        ("the same search in process (no HTTP)", in_process),
        ("the same upload, answered empty at once", upload),
        ("same photo, another filter (in process)", refined),
        ("same photo, another filter, by photo_id (HTTP)", by_id),
    ]
    for name, samples in rows:
        p50, p95 = p50_p95(samples)
        print(f"{name:47s} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
    ratio = p50_p95(whole)[0] / p50_p95(model)[0]
    print(f"ratio whole request / model alone (p50): {ratio:.2f}  (goal <= 1.5)")
    print(f"ratio whole request / embedder call (p50): {p50_p95(whole)[0] / p50_p95(embed)[0]:.2f}")
    floor, backbone = p50_p95(upload)[0], p50_p95(model)[0]
    print(
        f"HTTP alone (the upload received, a thread-pool hop, an empty answer) {floor / backbone:.2f}x the backbone; "
        f"HTTP alone + backbone alone {(floor + backbone) / backbone:.2f}x, before any decoding, mask or ranking"
    )
    cpu_model = cpu_ms(lambda: services.embedder.predict(tensor), args.requests)
    cpu_search = cpu_ms(lambda: services.search.search(photo, SearchQuery()), args.requests)
    print(
        f"CPU time per call (all threads, p50): backbone {cpu_model:.1f} ms, search in process {cpu_search:.1f} ms, "
        f"ratio {cpu_search / cpu_model:.2f}"
    )
    print_stage_table(stage_table(services.analyser, photo, max(5, args.requests // 4)), p50_p95(model)[0])


if __name__ == "__main__":
    main()
