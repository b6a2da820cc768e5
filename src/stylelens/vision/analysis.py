"""Everything the search needs from one photo: where the garment is, its colours and its embedding.

Vision v1 reads one garment per photo (the salient foreground). The vision issue adds people, several garments
and trained category heads behind the same `Garment` result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image

from stylelens.vision.colors import ColorShare, garment_colors
from stylelens.vision.embedder import Embedder
from stylelens.vision.foreground import garment_mask, mask_box


@dataclass(frozen=True)
class Region:
    """A box in pixels of the uploaded (upright) image."""

    x: int
    y: int
    w: int
    h: int

    def scaled(self, sx: float, sy: float) -> Region:
        """The same box in an image sx times wider and sy times taller."""
        return Region(round(self.x * sx), round(self.y * sy), round(self.w * sx), round(self.h * sy))


@dataclass(frozen=True)
class Garment:
    """One garment found in a photo."""

    region: Region
    colors: list[ColorShare]
    embedding: npt.NDArray[np.float32]
    mask: npt.NDArray[np.bool_]


class GarmentAnalyser:
    """Finds the garment in a photo, names its colours and embeds it for the index."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def analyse(self, image: Image.Image, mask: npt.NDArray[np.bool_] | None = None) -> list[Garment]:
        """The garments of one photo (one in v1: the salient foreground), best first."""
        return self.analyse_batch([image], [mask])[0]

    def analyse_batch(
        self, images: list[Image.Image], masks: list[npt.NDArray[np.bool_] | None] | None = None
    ) -> list[list[Garment]]:
        """Analyse several photos with one batched model run (catalog ingestion)."""
        rgbs = [np.asarray(image.convert("RGB")) for image in images]
        known = masks or [None] * len(images)
        found = [m if m is not None else garment_mask(rgb) for m, rgb in zip(known, rgbs, strict=True)]
        vectors = self.embedder.embed(images, found)
        garments = []
        for rgb, mask, vector in zip(rgbs, found, vectors, strict=True):
            x, y, w, h = mask_box(mask)
            colors = garment_colors(rgb, mask)
            garments.append([Garment(Region(x, y, w, h), colors, vector, mask)])
        return garments
