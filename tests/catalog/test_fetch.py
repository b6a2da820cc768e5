"""Image fetching: retries what is transient, refuses what is not an image or too big, never raises."""

from __future__ import annotations

import io
import threading
import time

import httpx
from PIL import Image

from stylelens.catalog.fetch import ImageFetcher


def png(side: int = 32) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (side, side), (200, 30, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def png_bomb(side: int = 11_000) -> bytes:
    """A tiny file that decodes to side x side pixels (a decompression bomb)."""
    buffer = io.BytesIO()
    Image.new("1", (side, side)).save(buffer, format="PNG")
    return buffer.getvalue()


def fetcher(handler: object, **kwargs: object) -> ImageFetcher:
    client = httpx.Client(transport=httpx.MockTransport(handler))  # type: ignore[arg-type]
    return ImageFetcher(client, backoff_s=0.01, **kwargs)  # type: ignore[arg-type]


def test_transient_failures_are_retried_with_backoff() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path == "/flaky.png" and calls.count("/flaky.png") < 3:
            return httpx.Response(503)
        if request.url.path == "/slow.png":
            raise httpx.ReadTimeout("timed out", request=request)
        if request.url.path == "/gone.png":
            return httpx.Response(404)
        return httpx.Response(200, content=png())

    with fetcher(handler, retries=3) as images:
        flaky, slow, gone = images.fetch_many(["https://s/flaky.png", "https://s/slow.png", "https://s/gone.png"])
    assert flaky.ok and flaky.attempts == 3 and flaky.image is not None and flaky.image.size == (32, 32)
    assert not slow.ok and slow.attempts == 4 and "ReadTimeout" in slow.error
    assert not gone.ok and gone.attempts == 1 and "HTTP 404" in gone.error  # not worth retrying
    assert calls.count("/slow.png") == 4 and calls.count("/gone.png") == 1


def test_what_is_not_a_safe_image_is_refused() -> None:
    bodies = {
        "/page.png": (b"<html><body>Sorry, we moved</body></html>", {}),
        "/declared-huge.jpg": (b"\xff\xd8\xff" + b"0" * 100, {"content-length": str(50 * 1024 * 1024)}),
        "/streamed-huge.jpg": (b"\xff\xd8\xff" + b"0" * 300_000, {}),
        "/bomb.png": (png_bomb(), {}),
        "/truncated.png": (png()[:60], {}),
    }

    def handler(request: httpx.Request) -> httpx.Response:
        body, headers = bodies[request.url.path]
        stream = httpx.ByteStream(body)
        return httpx.Response(200, headers={"content-type": "image/png", **headers}, stream=stream)

    with fetcher(handler, max_bytes=200_000, max_pixels=10_000_000) as images:
        results = {r.url.rsplit("/", 1)[1]: r for r in images.fetch_many([f"https://s{p}" for p in bodies])}
    assert not any(r.ok for r in results.values())
    assert "not an image" in results["page.png"].error
    assert "limit" in results["declared-huge.jpg"].error and "limit" in results["streamed-huge.jpg"].error
    assert "pixels" in results["bomb.png"].error
    assert results["truncated.png"].error
    assert images.fetch("file:///etc/passwd").error == "not an http(s) URL"


def test_fetches_run_concurrently_in_order() -> None:
    active, peak, lock = [0], [0], threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.05)
        with lock:
            active[0] -= 1
        return httpx.Response(200, content=png(int(request.url.path.strip("/.png"))))

    with fetcher(handler, concurrency=8) as images:
        started = time.perf_counter()
        results = images.fetch_many([f"https://s/{10 + i}.png" for i in range(16)])
        elapsed = time.perf_counter() - started
    assert [r.image.size[0] for r in results if r.image] == [10 + i for i in range(16)]
    assert peak[0] >= 4 and elapsed < 16 * 0.05 / 2


def test_downloads_overlap_but_only_cpu_workers_threads_prepare_at_once() -> None:
    """Eight downloads wait on the network together; decoding and preparing (CPU work) take two at a time."""
    downloading, preparing = [0, 0], [0, 0]  # [now, peak]
    lock = threading.Lock()

    def enter(counter: list[int]) -> None:
        with lock:
            counter[0] += 1
            counter[1] = max(counter[1], counter[0])

    def leave(counter: list[int]) -> None:
        with lock:
            counter[0] -= 1

    def handler(request: httpx.Request) -> httpx.Response:
        enter(downloading)
        time.sleep(0.05)
        leave(downloading)
        return httpx.Response(200, content=png(int(request.url.path.strip("/.png"))))

    def prepare(image: Image.Image) -> int:
        enter(preparing)
        time.sleep(0.02)
        leave(preparing)
        return image.width * 2

    with fetcher(handler, concurrency=8, cpu_workers=2) as images:
        results = list(images.fetch_stream([f"https://s/{10 + i}.png" for i in range(16)], prepare))
    assert [r.prepared for r in results] == [2 * (10 + i) for i in range(16)]  # every image prepared, in order
    assert downloading[1] >= 4 and preparing[1] == 2


def test_large_catalog_images_are_read_near_the_image_side() -> None:
    """A shop's 1,200-px JPEG packshot comes out at 600 px (decoded at 1/2 scale); without a side, as served."""
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (30, 60, 160)).save(buffer, format="JPEG", quality=90)
    body = buffer.getvalue()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body)

    with fetcher(handler, image_side=640) as reduced, fetcher(handler) as whole:
        small, full = reduced.fetch("https://s/a.jpg"), whole.fetch("https://s/a.jpg")
    assert small.image is not None and small.image.size == (600, 450)
    assert full.image is not None and full.image.size == (1200, 900)
    assert small.digest == full.digest  # the change check reads the bytes as served, not the reduced image
