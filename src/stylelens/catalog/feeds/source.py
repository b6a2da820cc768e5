"""Open a feed given as a URL or a file: a URL is streamed to a temporary file first (bounded memory)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import httpx

from stylelens.catalog.feeds.records import FeedError


@contextmanager
def open_feed(source: str, *, max_bytes: int, timeout_s: float = 60.0) -> Iterator[BinaryIO]:
    """The feed's bytes as a binary file; FeedError if it cannot be fetched or is over `max_bytes`."""
    if not source.startswith(("http://", "https://")):
        path = Path(source)
        if not path.is_file():
            raise FeedError(f"no feed file at {source}")
        with path.open("rb") as handle:
            yield handle
        return
    with tempfile.TemporaryFile() as spool:
        try:
            with httpx.stream("GET", source, timeout=timeout_s, follow_redirects=True) as response:
                if response.status_code != 200:
                    raise FeedError(f"the feed URL answered HTTP {response.status_code}")
                size = 0
                for chunk in response.iter_bytes(1024 * 1024):
                    size += len(chunk)
                    if size > max_bytes:
                        raise FeedError(f"the feed is over {max_bytes} bytes")
                    spool.write(chunk)
        except httpx.HTTPError as exc:
            raise FeedError(f"cannot fetch the feed: {type(exc).__name__}: {exc}") from None
        spool.seek(0)
        yield spool
