"""The exceptions StyleLens raises, each mapped to one HTTP problem by the API layer.

StyleLensError                 base of everything the product raises on purpose
 +-- InvalidInput              the caller sent something we cannot use (HTTP 400/422)
 |    +-- ImageError           the upload is not an image we can read (400)
 |    |    +-- EmptyImage      the upload has no bytes (400)
 |    |    +-- UnsupportedImage  not JPEG, PNG, WebP or HEIC, or truncated/corrupt (415/400)
 |    |    +-- ImageTooLarge   over the byte or pixel limit, e.g. a decompression bomb (413)
 |    +-- CatalogFormatError   a catalog file or row we cannot import (422)
 +-- NotFound                  the thing asked for does not exist (404)
 +-- PhotoForgotten            a search names a photo the service no longer remembers: send it again (410)
 +-- NotReady                  models or the index are not prepared yet (503)
 +-- NotSignedIn               no valid session or token, or wrong credentials (401)
 +-- Forbidden                 signed in, but not allowed to do this (403)
 |    +-- ConsentRequired      the shopper has not consented to this purpose (403)
 +-- RateLimited               too many requests from this client; retry later (429)
"""

from __future__ import annotations


class StyleLensError(Exception):
    """Base of every error StyleLens raises on purpose."""

    status = 500
    title = "Internal error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(StyleLensError):
    """The caller sent something we cannot use."""

    status = 422
    title = "Invalid input"


class ImageError(InvalidInput):
    """The upload is not an image we can read."""

    status = 400
    title = "Unreadable image"


class EmptyImage(ImageError):
    """The upload has no bytes."""

    title = "Empty image"


class UnsupportedImage(ImageError):
    """The upload is not a JPEG, PNG, WebP or HEIC image, or it is truncated or corrupt."""

    status = 415
    title = "Unsupported or corrupt image"


class ImageTooLarge(ImageError):
    """The upload is over the byte or pixel limit (for instance a decompression bomb)."""

    status = 413
    title = "Image too large"


class CatalogFormatError(InvalidInput):
    """A catalog file or row that cannot be imported."""

    title = "Invalid catalog data"


class NotFound(StyleLensError):
    """The thing asked for does not exist."""

    status = 404
    title = "Not found"


class PhotoForgotten(StyleLensError):
    """A search names, by its photo_id, a photo the service no longer remembers (expired, or memory off)."""

    status = 410
    title = "Photo no longer remembered"


class NotReady(StyleLensError):
    """Models or the index are not prepared yet."""

    status = 503
    title = "Service not ready"


class NotSignedIn(StyleLensError):
    """No valid session or token was presented, or the credentials are wrong."""

    status = 401
    title = "Not signed in"


class Forbidden(StyleLensError):
    """The caller is signed in but may not do this."""

    status = 403
    title = "Forbidden"


class ConsentRequired(Forbidden):
    """The shopper has not consented (or has withdrawn consent) to the purpose this step serves."""

    title = "Consent required"


class RateLimited(StyleLensError):
    """Too many requests from this client in a short time."""

    status = 429
    title = "Too many requests"
