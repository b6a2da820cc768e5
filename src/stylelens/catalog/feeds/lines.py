"""Read a feed file line by line in bounded memory: an over-long line is skipped and reported, not loaded."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

MAX_LINE = 1024 * 1024  # bytes; a feed line longer than this is refused (a 50 MB line costs 1 MB of memory)
_SKIP_CHUNK = 1024 * 1024


class LineReader(Protocol):
    def readline(self, limit: int = -1, /) -> bytes: ...


class LongLine:
    """Marks a line over the limit, already skipped."""

    def __init__(self, length: int) -> None:
        self.length = length


def bounded_lines(handle: LineReader, max_line: int = MAX_LINE) -> Iterator[tuple[int, bytes | LongLine]]:
    """Yield (line number, bytes without the newline), or a LongLine for lines over `max_line` bytes."""
    number = 0
    while True:
        line = handle.readline(max_line + 1)
        if not line:
            return
        number += 1
        if len(line) > max_line and not line.endswith(b"\n"):
            length = len(line)
            while True:  # skip the rest of the line without keeping it
                rest = handle.readline(_SKIP_CHUNK)
                length += len(rest)
                if not rest or rest.endswith(b"\n"):
                    break
            yield number, LongLine(length)
            continue
        yield number, line.rstrip(b"\r\n")


def decode_line(raw: bytes, number: int) -> str:
    """A line as text; UnicodeDecodeError becomes a ValueError that says where and what to fix."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"line {number} is not valid UTF-8 (byte {exc.start}); export the feed as UTF-8") from None
