"""Decoding shopper uploads: every bad input is refused with the right error, good ones come out clean."""

from __future__ import annotations

import io
import struct
import time
import zlib

import numpy as np
import pytest
from PIL import Image, ImageCms

from stylelens.errors import EmptyImage, ImageTooLarge, UnsupportedImage
from stylelens.vision import decode
from stylelens.vision.decode import SIDE_SLACK, decode_image, decode_photo, encode_jpeg

LIMITS = {"max_bytes": 15 * 1024 * 1024, "max_pixels": 40_000_000}


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int) -> bytes:
    """A valid-looking PNG header declaring width x height, with a tiny compressed stream of zero rows."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 4096, 9)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", rows) + _chunk(b"IEND", b"")


def encoded(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def two_tone(width: int = 120, height: int = 80) -> Image.Image:
    """Left quarter red, the rest blue: easy to check orientation."""
    image = Image.new("RGB", (width, height), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, width // 4, height))
    return image


def test_empty_upload_is_refused() -> None:
    with pytest.raises(EmptyImage):
        decode_image(b"", **LIMITS)


def test_upload_over_byte_limit_is_refused_before_reading() -> None:
    with pytest.raises(ImageTooLarge, match="bytes"):
        decode_image(b"\xff\xd8\xff" + b"\0" * 2000, max_bytes=1000, max_pixels=10**6)


def test_text_file_named_jpg_is_unsupported() -> None:
    with pytest.raises(UnsupportedImage, match="not a JPEG"):
        decode_image(b"name,price\nshirt,19.99\n" * 20, **LIMITS)


@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_truncated_jpeg_is_unsupported(keep: float) -> None:
    data = encoded(two_tone(400, 300), "JPEG", quality=90)
    with pytest.raises(UnsupportedImage, match="truncated or corrupt|header"):
        decode_image(data[: int(len(data) * keep)], **LIMITS)


def test_jpeg_signature_with_garbage_is_unsupported() -> None:
    with pytest.raises(UnsupportedImage):
        decode_image(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4, **LIMITS)


def test_png_bomb_is_refused_fast() -> None:
    bomb = png_declaring(20_000, 20_000)
    assert len(bomb) < 1000
    started = time.perf_counter()
    with pytest.raises(ImageTooLarge):
        decode_image(bomb, **LIMITS)
    assert time.perf_counter() - started < 1.0


def test_pillow_bomb_warning_range_is_image_too_large() -> None:
    # 100 MP lies between Pillow's warning (89 MP) and its error (179 MP): -W error must not leak the warning.
    with pytest.raises(ImageTooLarge, match="10000x10000"):
        decode_image(png_declaring(10_000, 10_000), **LIMITS)


def test_over_pixel_limit_is_refused_before_decoding() -> None:
    with pytest.raises(ImageTooLarge, match="7000x7000"):
        decode_image(png_declaring(7000, 7000), **LIMITS)


@pytest.mark.parametrize(("width", "height"), [(0, 10), (10, 0), (3, 3), (2000, 20)])
def test_zero_size_and_degenerate_images_are_refused(width: int, height: int) -> None:
    with pytest.raises(UnsupportedImage):
        decode_image(png_declaring(width, height), **LIMITS)


def test_exif_rotated_jpeg_comes_out_upright_without_metadata() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    exif[0x010F] = "PhoneMaker"
    data = encoded(two_tone(), "JPEG", quality=95, exif=exif.tobytes(), comment=b"secret")
    image = decode_image(data, **LIMITS)
    assert image.mode == "RGB" and image.size == (80, 120)
    top, bottom = image.getpixel((40, 5)), image.getpixel((40, 115))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[0] > 200 and top[2] < 60  # the red strip is now at the top
    assert bottom[2] > 200 and bottom[0] < 60
    assert image.info == {} and len(image.getexif()) == 0


@pytest.mark.parametrize(
    ("size", "side", "expected"),
    [
        ((4032, 3024), 512, (504, 378)),  # a phone photo: DCT scale 1/8 lands in the band, nothing resized
        ((1024, 1024), 512, (512, 512)),  # 1/2
        ((1200, 900), 640, (600, 450)),  # a shop's packshot: 1/2
        ((900, 900), 640, (640, 640)),  # no DCT scale lands in 512..800: decoded whole, then resized
        ((600, 400), 640, (600, 400)),  # small enough already
    ],
)
def test_a_jpeg_is_read_near_the_working_side_with_its_full_size(
    size: tuple[int, int], side: int, expected: tuple[int, int]
) -> None:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    data = encoded(two_tone(*size), "JPEG", quality=90, exif=exif.tobytes(), comment=b"secret")
    image, full = decode_photo(data, **LIMITS, work_side=side)
    assert full == size and image.size == expected and image.mode == "RGB"
    assert side / SIDE_SLACK <= max(image.size) <= side * SIDE_SLACK or max(size) <= side * SIDE_SLACK
    assert image.info == {} and len(image.getexif()) == 0
    left, right = image.getpixel((2, image.height // 2)), image.getpixel((image.width - 3, image.height // 2))
    assert isinstance(left, tuple) and isinstance(right, tuple) and left[0] > 200 and right[2] > 200


def test_encode_jpeg_writes_no_metadata() -> None:
    image = two_tone()
    image.info.update({"icc_profile": b"x" * 10, "comment": b"private", "exif": b"Exif\0\0"})
    reread = Image.open(io.BytesIO(encode_jpeg(image, quality=80)))
    assert reread.format == "JPEG" and reread.size == image.size
    assert not {"icc_profile", "exif", "comment"} & set(reread.info)
    assert len(reread.getexif()) == 0


def test_icc_profile_is_dropped_after_conversion() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image = decode_image(encoded(two_tone(), "PNG", icc_profile=srgb), **LIMITS)
    assert "icc_profile" not in image.info


def test_webp_is_accepted() -> None:
    image = decode_image(encoded(two_tone(), "WEBP", quality=90), **LIMITS)
    assert image.size == (120, 80) and image.mode == "RGB"


def test_transparent_png_is_put_on_white() -> None:
    rgba = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    rgba.paste((10, 20, 200, 255), (10, 10, 30, 30))
    image = decode_image(encoded(rgba, "PNG"), **LIMITS)
    assert image.getpixel((2, 2)) == (255, 255, 255)
    assert image.getpixel((20, 20)) == (10, 20, 200)


def test_16_bit_grey_png_keeps_its_tones() -> None:
    grey = Image.fromarray(np.full((32, 32), 40000, dtype=np.uint16))
    image = decode_image(encoded(grey, "PNG"), **LIMITS)
    assert image.getpixel((5, 5)) == (155, 155, 155)


@pytest.mark.skipif(not decode.HEIF_SUPPORTED, reason="pillow-heif is not installed")
def test_heic_is_accepted() -> None:
    try:
        data = encoded(two_tone(128, 96), "HEIF", quality=90)
    except (KeyError, OSError, ValueError):
        pytest.skip("this pillow-heif build cannot encode HEIC")
    assert decode.sniff_format(data) == "HEIF"
    image = decode_image(data, **LIMITS)
    assert image.size == (128, 96) and image.mode == "RGB"
    left = image.getpixel((5, 48))
    assert isinstance(left, tuple) and left[0] > 180
