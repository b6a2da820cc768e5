"""Reading a shopper's photo safely: size limits first, then format, then pixels, never the metadata.

`decode_image` accepts JPEG, PNG, WebP and (where pillow-heif imports) HEIC/HEIF. It refuses an upload over
the byte limit before looking at it, reads only the header to refuse images over the pixel limit (so a
decompression bomb costs microseconds, not gigabytes), decodes fully so truncated files fail here and not
later, turns the photo upright from its EXIF orientation, converts it to sRGB when it carries an ICC profile,
and returns a fresh RGB image that carries no EXIF, ICC, XMP, comment or any other metadata.

The pixel limit in force is the smaller of `max_pixels` and twice Pillow's `Image.MAX_IMAGE_PIXELS`.
"""

from __future__ import annotations

import io
import threading
import warnings
from typing import Final

import numpy as np
from PIL import Image, ImageCms, ImageFile, ImageOps, UnidentifiedImageError

from stylelens.errors import EmptyImage, ImageTooLarge, UnsupportedImage

try:  # HEIC/HEIF from phones; optional at run time.
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_SUPPORTED: Final[bool] = True
except ImportError:  # pragma: no cover - depends on the installed wheels
    HEIF_SUPPORTED = False  # type: ignore[misc]

MIN_SIDE: Final[int] = 8  # smaller than this is not a photo of anything
MAX_ASPECT: Final[float] = 25.0  # a 1x500 strip is not a garment either
BACKGROUND: Final[tuple[int, int, int]] = (255, 255, 255)  # what transparent pixels become
# A photo read at a working side comes out between side / SLACK and side * SLACK pixels long without a resize
# whenever a JPEG's 1/2, 1/4 or 1/8 DCT scale lands there; only what is larger is resized.
SIDE_SLACK: Final[float] = 1.25

_HEIF_BRANDS: Final[frozenset[bytes]] = frozenset(
    {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}
)
_DECODE_ERRORS: Final = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, MemoryError)
_warnings_lock = threading.Lock()


def sniff_format(data: bytes) -> str | None:
    """The image format the upload's first bytes announce (a Pillow format name), or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "HEIF"
    return None


def decode_image(data: bytes, *, max_bytes: int, max_pixels: int) -> Image.Image:
    """Turn an uploaded photo into an upright RGB image with no metadata, or refuse it with a clear reason."""
    return decode_photo(data, max_bytes=max_bytes, max_pixels=max_pixels)[0]


def decode_photo(
    data: bytes, *, max_bytes: int, max_pixels: int, work_side: int | None = None
) -> tuple[Image.Image, tuple[int, int]]:
    """Like `decode_image`, reduced to about `work_side` pixels a side; also returns the upright full size.

    Search reads garments at a working resolution: a JPEG is decoded straight at 1/2, 1/4 or 1/8 scale
    (DCT scaling, several times faster than a full decode), other formats are reduced after decoding. The
    longest side comes out between work_side / SIDE_SLACK and work_side * SIDE_SLACK when a DCT scale lands
    there (a 4,032-px phone photo decodes at 1/8 with no resize), else it is resized to work_side.
    """
    if not data:
        raise EmptyImage("The upload is empty: send a JPEG, PNG, WebP or HEIC photo.")
    if len(data) > max_bytes:
        raise ImageTooLarge(f"The upload is {len(data)} bytes; the limit is {max_bytes} bytes.")
    fmt = sniff_format(data)
    if fmt is None or (fmt == "HEIF" and not HEIF_SUPPORTED):
        raise UnsupportedImage("This is not a JPEG, PNG, WebP or HEIC image.")
    image = _open_header(data, fmt)
    _check_dimensions(image.size, max_pixels)
    full = image.size
    try:
        if work_side and fmt == "JPEG":
            # Ask for the reduced size with the photo's own proportions: Pillow picks the DCT scale from the
            # smaller ratio of the two sides, so a square request would leave a wide photo at full size.
            ratio = work_side / SIDE_SLACK / max(image.size)
            image.draft("RGB", (max(1, int(image.width * ratio)), max(1, int(image.height * ratio))))
        image.load()
        upright = ImageOps.exif_transpose(image)
        if upright.size != image.size:  # turned a quarter: width and height swap
            full = (full[1], full[0])
        if work_side and max(upright.size) > work_side * SIDE_SLACK:
            upright.thumbnail((work_side, work_side), Image.Resampling.BILINEAR, reducing_gap=2.0)
        return _fresh_rgb(upright), full
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(f"The image is too large to decode: {exc}") from None
    except _DECODE_ERRORS as exc:
        raise UnsupportedImage(f"The {fmt} image is truncated or corrupt ({exc}).") from None


def encode_jpeg(img: Image.Image, quality: int = 90) -> bytes:
    """Save an image as a JPEG with no EXIF, ICC, comment or other metadata."""
    buffer = io.BytesIO()
    _fresh_rgb(img).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def _open_header(data: bytes, fmt: str) -> ImageFile.ImageFile:
    """Read only the header; Pillow's bomb guard becomes ImageTooLarge, any other failure UnsupportedImage."""
    try:
        with _warnings_lock, warnings.catch_warnings():
            # Our own pixel limit (stricter by default) decides; Pillow's warning must not leak out.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data), formats=[fmt])
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(f"The image has too many pixels: {exc}") from None
    except UnidentifiedImageError:
        raise UnsupportedImage(f"The file looks like {fmt} but its header cannot be read.") from None
    except _DECODE_ERRORS as exc:
        raise UnsupportedImage(f"The {fmt} header is corrupt ({exc}).") from None


def _check_dimensions(size: tuple[int, int], max_pixels: int) -> None:
    """Refuse empty, degenerate and over-limit dimensions, before any pixel is decoded."""
    width, height = size
    if width <= 0 or height <= 0:
        raise UnsupportedImage(f"The image has no pixels ({width}x{height}).")
    if width * height > max_pixels:
        raise ImageTooLarge(f"The image is {width}x{height} pixels; the limit is {max_pixels} pixels.")
    if min(width, height) < MIN_SIDE or max(width, height) / min(width, height) > MAX_ASPECT:
        raise UnsupportedImage(f"The image is {width}x{height} pixels, too small or too narrow to search.")


def _fresh_rgb(image: Image.Image) -> Image.Image:
    """A new sRGB image holding only the pixels: no info dict, no EXIF, no ICC profile."""
    icc = image.info.get("icc_profile")
    flat = _to_8bit(_flatten_alpha(image))
    rgb = _icc_to_srgb(flat, icc) if icc else None
    if rgb is None:
        rgb = flat.convert("RGB")  # a copy even when the mode is RGB already
    rgb.info = {}  # copy() and convert() carry the info dict (EXIF, ICC, comments...): a new image has none
    return rgb


def _flatten_alpha(image: Image.Image) -> Image.Image:
    """Put transparent pixels on a white background, as a shop shows a cut-out packshot."""
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    if not has_alpha:
        return image
    rgba = image.convert("RGBA")
    canvas = Image.new("RGB", rgba.size, BACKGROUND)
    canvas.paste(rgba, mask=rgba.getchannel("A"))
    return canvas


def _to_8bit(image: Image.Image) -> Image.Image:
    """16-bit and float greyscale to 8 bits (Pillow's own convert clips them)."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        values = np.asarray(image, dtype=np.float64) / 257.0
        return Image.fromarray(np.clip(values, 0, 255).astype(np.uint8))
    if image.mode == "F":
        values = np.asarray(image, dtype=np.float64)
        scale = 255.0 if values.max(initial=0.0) <= 1.0 else 1.0
        return Image.fromarray(np.clip(values * scale, 0, 255).astype(np.uint8))
    return image


def _icc_to_srgb(image: Image.Image, icc: bytes) -> Image.Image | None:
    """Convert from the embedded ICC profile to sRGB; None when the profile is sRGB already or unusable."""
    if image.mode not in ("RGB", "CMYK", "L"):
        return None
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if "srgb" in ImageCms.getProfileDescription(source).lower():
            return None
        srgb = ImageCms.createProfile("sRGB")
        return ImageCms.profileToProfile(image, source, srgb, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None
