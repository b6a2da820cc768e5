"""Fetch product images from the shop: concurrently, with timeouts, retries with backoff, and strict limits.

An image must announce itself by its first bytes (JPEG, PNG, WebP, HEIC: the Content-Type header is not
trusted), stay under the byte limit while it streams, and under the pixel limit before it is decoded. A failed
image is a `FetchResult` with an error, never an exception: the sync reports it and retries it next time.
"""

from __future__ import annotations

import hashlib
import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import httpx
from PIL import Image

from stylelens.errors import StyleLensError
from stylelens.vision.decode import decode_photo, sniff_format

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class FetchResult:
    """One image fetched and decoded, or the reason it could not be."""

    url: str
    image: Image.Image | None = None
    digest: str = ""  # sha256 of the bytes as served
    error: str = ""
    attempts: int = 0
    prepared: object = None  # what fetch_stream's `prepare` made of the image, in the fetching thread

    @property
    def ok(self) -> bool:
        return self.image is not None


class _Retry(Exception):
    """A failure worth trying again (timeouts, connection errors, 429 and 5xx)."""


def default_cpu_workers() -> int:
    """Fetching threads that may decode and prepare at once: one core is left to the embedding model."""
    return max(1, (os.cpu_count() or 1) - 1)


class ImageFetcher:
    """Fetches many images at once over one connection pool; thread-safe.

    Downloads wait on the network, so many run at once (`concurrency`); decoding and `prepare` are CPU work
    in Python, so only `cpu_workers` fetching threads do them at a time. More would not go faster on a small
    machine: they would take turns with Python's lock and the model's threads and burn CPU switching
    (`benchmarks/ingest_throughput.py`).
    """

    def __init__(
        self,
        client: httpx.Client | None = None,
        *,
        concurrency: int = 8,
        timeout_s: float = 10.0,
        retries: int = 3,
        backoff_s: float = 0.25,
        max_bytes: int = 10 * 1024 * 1024,
        max_pixels: int = 40_000_000,
        cpu_workers: int | None = None,
        image_side: int | None = None,
    ) -> None:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        self.client = client or httpx.Client(timeout=timeout_s, limits=limits, follow_redirects=True)
        self.concurrency, self.retries, self.backoff_s = concurrency, retries, backoff_s
        self.max_bytes, self.max_pixels = max_bytes, max_pixels
        self.image_side = image_side  # images come out about this many pixels a side at most (None: as served)
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="image-fetch")
        self.cpu_workers = max(1, cpu_workers if cpu_workers is not None else default_cpu_workers())
        self._cpu = threading.BoundedSemaphore(self.cpu_workers)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.client.close()

    def __enter__(self) -> ImageFetcher:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def fetch_many(self, urls: Sequence[str]) -> list[FetchResult]:
        """Fetch and decode every URL concurrently; results in the order of `urls`."""
        return list(self._pool.map(self.fetch, urls))

    def fetch_stream(
        self,
        urls: Sequence[str],
        prepare: Callable[[Image.Image], object] | Sequence[Callable[[Image.Image], object] | None] | None = None,
    ) -> Iterator[FetchResult]:
        """Like fetch_many, yielding each result as soon as it and those before it are done.

        Every fetch starts now, before the first result is asked for (not a generator function, whose body would
        wait for that first `next`): a caller can hold the stream while it works on something else. `prepare`,
        when given, runs on each decoded image in the fetching thread (its value is the result's `prepared`; if
        it fails, `prepared` stays None and the caller does that work itself); a sequence gives each URL its own.
        """
        prepares = list(prepare) if isinstance(prepare, Sequence) else [prepare] * len(urls)
        if len(prepares) != len(urls):
            raise ValueError(f"{len(urls)} URLs but {len(prepares)} prepare functions")
        futures = [self._pool.submit(self._fetch, url, each) for url, each in zip(urls, prepares, strict=True)]
        return (future.result() for future in futures)

    def fetch(self, url: str) -> FetchResult:
        """Fetch and decode one image, retrying transient failures with exponential backoff and jitter."""
        return self._fetch(url, None)

    def _fetch(self, url: str, prepare: Callable[[Image.Image], object] | None) -> FetchResult:
        if not url.startswith(("http://", "https://")):
            return FetchResult(url, error="not an http(s) URL")
        error = ""
        for attempt in range(1, self.retries + 2):
            try:
                data = self.download(url)
                with self._cpu:  # decoding and preparing: CPU work, a few fetching threads at a time
                    image = self.decode(data)
                    result = FetchResult(url, image, hashlib.sha256(data).hexdigest(), attempts=attempt)
                    return result if prepare is None else _prepared(result, image, prepare)
            except _Retry as exc:
                error = str(exc)
            except StyleLensError as exc:
                return FetchResult(url, error=exc.detail, attempts=attempt)
            except (httpx.HTTPError, ValueError) as exc:
                return FetchResult(url, error=f"{type(exc).__name__}: {exc}", attempts=attempt)
            if attempt <= self.retries:
                time.sleep(self.backoff_s * 2 ** (attempt - 1) * (0.5 + random.random()))
        return FetchResult(url, error=f"gave up after {self.retries + 1} attempts: {error}", attempts=self.retries + 1)

    def decode(self, data: bytes) -> Image.Image:
        """Downloaded bytes as the fetcher returns them: upright, without metadata, within the limits; a JPEG
        larger than `image_side` decoded straight at a reduced scale (a fraction of a full decode's cost, and of
        everything done to the image after)."""
        return decode_photo(data, max_bytes=self.max_bytes, max_pixels=self.max_pixels, work_side=self.image_side)[0]

    def download(self, url: str) -> bytes:
        """The bytes at `url`, checked (status, size, first bytes) as they stream; no retry: `fetch` retries.

        Raises ValueError for a final failure, and a private retry signal for one worth trying again.
        """
        try:
            with self.client.stream("GET", url) as response:
                if response.status_code in RETRY_STATUSES:
                    raise _Retry(f"HTTP {response.status_code}")
                if response.status_code != 200:
                    raise ValueError(f"HTTP {response.status_code}")
                declared = int(response.headers.get("content-length") or 0)
                if declared > self.max_bytes:
                    raise ValueError(f"image of {declared} bytes is over the {self.max_bytes}-byte limit")
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    if not chunks and sniff_format(chunk[:16]) is None and len(chunk) >= 12:
                        raise ValueError("not an image (JPEG, PNG, WebP or HEIC) by its first bytes")
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise ValueError(f"image over the {self.max_bytes}-byte limit")
                    chunks.append(chunk)
                return b"".join(chunks)
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise _Retry(f"{type(exc).__name__}: {exc}") from None


def _prepared(result: FetchResult, image: Image.Image, prepare: Callable[[Image.Image], object]) -> FetchResult:
    """The result with `prepare(image)` attached; unchanged when prepare fails (the caller does that work again
    and meets the error itself)."""
    try:
        return replace(result, prepared=prepare(image))
    except Exception:  # noqa: BLE001
        return result
