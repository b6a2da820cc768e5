"""Shopper-style re-photographs and broken uploads, made on the fly for the API tests."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def rephotograph(image: Image.Image, *, angle: float = 10.0, crop: float = 0.08, quality: int = 70) -> bytes:
    """The product photo as a shopper might re-take it: cropped, rotated, re-compressed as a JPEG."""
    w, h = image.size
    dx, dy = int(w * crop), int(h * crop)
    cropped = image.crop((dx, dy // 2, w - dx // 2, h - dy))
    background = cropped.getpixel((2, 2))
    rotated = cropped.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=background)
    buffer = io.BytesIO()
    rotated.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def jpeg_bytes(image: Image.Image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares width x height pixels; its data is a tiny compressed stream of zero rows."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (1 + 3 * max(width, 1)) * 64, 9)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", rows) + png_chunk(b"IEND", b"")
