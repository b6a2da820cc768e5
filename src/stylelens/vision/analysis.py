"""Everything the search needs from one photo: each garment's place, mask, category, colours, pattern, embedding.

With a person in the photo, garments come from body regions (upper body, lower body, full length, feet, a
carried bag), masked by the person mask without skin or faces; faces are blurred before any pixel is cropped,
so nothing that leaves the pipeline shows one. Without a person, the salient garment of a packshot or flat-lay.
A blank photo has no garment: an empty list, not an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from PIL import Image

from stylelens.vision.categories import CategoryModel, CategoryScore
from stylelens.vision.colors import ColorShare, garment_colors
from stylelens.vision.embedder import Embedder
from stylelens.vision.foreground import garment_mask, is_blank, mask_box
from stylelens.vision.heads import SoftmaxHead
from stylelens.vision.patterns import texture_features
from stylelens.vision.person import PersonFinder
from stylelens.vision.regions import GarmentRegion, person_regions
from stylelens.vision.shape import shape_features

FACE_SIDE = 384  # longest side of the copy faces are detected on
BAG_MIN_SCORE = 0.35  # a wrist region is reported as a bag only when ImageNet sees one this clearly
KIND_ORDER = {"upper": 0, "full": 1, "lower": 2, "feet": 3, "bag": 4, "garment": 0}


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
class PatternScore:
    label: str
    score: float


@dataclass(frozen=True)
class Garment:
    """One garment found in a photo."""

    region: Region
    colors: list[ColorShare]
    embedding: npt.NDArray[np.float32]
    mask: npt.NDArray[np.bool_]
    kind: str = "garment"  # where it was found: garment (no person), upper, lower, full, feet, bag
    categories: list[CategoryScore] = field(default_factory=list)
    pattern: PatternScore | None = None


@dataclass(frozen=True)
class PhotoAnalysis:
    """The garments of a photo and the photo itself with every face blurred (the only copy safe to keep)."""

    garments: list[Garment]
    image: Image.Image
    person: bool


class GarmentAnalyser:
    """Finds the garments in a photo, names their category, colours and pattern, and embeds them for the index."""

    def __init__(
        self,
        embedder: Embedder,
        category_head: SoftmaxHead | None = None,
        pattern_head: SoftmaxHead | None = None,
        persons: PersonFinder | None = None,
        blur: bool = True,
    ) -> None:
        self.embedder = embedder
        self.categories = CategoryModel(category_head) if category_head is not None else None
        self.pattern_head = pattern_head
        self.persons = persons
        self.blur = blur

    def load(self) -> None:
        """Load and warm every model now (the service does this at start-up, not on a shopper's request)."""
        self.embedder.load()
        if self.persons is not None:
            self.persons.load()
        if self.blur and self.persons is not None:
            from stylelens.vision.faces import default_detector, find_faces

            default_detector()
            find_faces(Image.new("RGB", (64, 64)))

    def analyse(self, image: Image.Image, mask: npt.NDArray[np.bool_] | None = None) -> list[Garment]:
        """The garments of one photo, best first (a person's upper body first)."""
        if mask is not None or self.persons is None:
            return self.analyse_batch([image], [mask])[0]
        return self.analyse_photo(image).garments

    def analyse_photo(self, image: Image.Image) -> PhotoAnalysis:
        """The full reading of a shopper's photo: people, faces, garment regions, attributes."""
        rgb = np.asarray(image.convert("RGB"))
        reading = self.persons.find(rgb) if self.persons is not None else None
        if reading is None:
            if is_blank(rgb):
                return PhotoAnalysis([], image, False)
            return PhotoAnalysis(self.analyse_batch([image])[0], image, False)
        safe, faces = self._blurred(image)
        if self.blur and not any(reading.has_head_at(box) for box in faces):
            # A pose without a face is usually a garment the pose model mistook for a torso (a shirt on a bed).
            return PhotoAnalysis(self.analyse_batch([safe])[0], safe, False)
        safe_rgb = np.asarray(safe)
        regions = person_regions(safe_rgb, reading, faces)
        garments = self._describe(safe, safe_rgb, regions)
        return PhotoAnalysis(garments, safe, True)

    def analyse_batch(
        self,
        images: list[Image.Image],
        masks: list[npt.NDArray[np.bool_] | None] | None = None,
        *,
        attributes: bool = True,
        colors: list[list[ColorShare] | None] | None = None,
    ) -> list[list[Garment]]:
        """Analyse several packshots with one batched model run (catalog ingestion): one garment each.

        With `attributes=False` the category and pattern are not read (empty list and None): for a caller that
        keeps only the mask, colours and embedding (the catalog takes a product's category and pattern from the
        shop), which are the same either way. `colors`, where given, are `garment_colors` of the image (as RGB)
        and its mask, worked out ahead by the caller.
        """
        rgbs = [np.asarray(image.convert("RGB")) for image in images]
        known = masks or [None] * len(images)
        found = [m if m is not None else garment_mask(rgb) for m, rgb in zip(known, rgbs, strict=True)]
        shares = colors or [None] * len(images)
        vectors, logits = self.embedder.embed_with_logits(images, found)
        return [
            [self._garment("garment", rgb, mask, mask_box(mask), vector, logit, attributes=attributes, colors=c)]
            for rgb, mask, vector, logit, c in zip(rgbs, found, vectors, logits, shares, strict=True)
        ]

    def _describe(self, image: Image.Image, rgb: npt.NDArray[np.uint8], regions: list[GarmentRegion]) -> list[Garment]:
        vectors, logits = self.embedder.embed_with_logits([image] * len(regions), [r.mask for r in regions])
        keep = np.ones(len(regions), dtype=bool)
        if self.categories is not None and regions:
            bags = self.categories.bag_score(logits)
            keep = np.array([r.kind != "bag" or bags[i] >= BAG_MIN_SCORE for i, r in enumerate(regions)])
        garments = []
        for i, region in enumerate(regions):
            if keep[i]:
                x0, y0, x1, y1 = region.box
                box = (x0, y0, x1 - x0, y1 - y0)
                garments.append(self._garment(region.kind, rgb, region.mask, box, vectors[i], logits[i]))
        return sorted(garments, key=lambda g: KIND_ORDER.get(g.kind, 9))

    def _garment(
        self,
        kind: str,
        rgb: npt.NDArray[np.uint8],
        mask: npt.NDArray[np.bool_],
        box: tuple[int, int, int, int],
        vector: npt.NDArray[np.float32],
        logits: npt.NDArray[np.float32],
        *,
        attributes: bool = True,
        colors: list[ColorShare] | None = None,
    ) -> Garment:
        categories: list[CategoryScore] = []
        if attributes and self.categories is not None:
            features = np.concatenate([vector, shape_features(rgb, mask)])[None]
            categories = self.categories.top(self.categories.scores(features, logits[None])[0])
        pattern = None
        if attributes and self.pattern_head is not None:
            features = np.concatenate([vector, texture_features(rgb, mask)])[None]
            p = self.pattern_head.probabilities(features)[0]
            best = int(np.argmax(p))
            pattern = PatternScore(self.pattern_head.classes[best], round(float(p[best]), 4))
        if colors is None:
            colors = garment_colors(rgb, mask)
        return Garment(Region(*box), colors, vector, mask, kind, categories, pattern)

    def _blurred(self, image: Image.Image) -> tuple[Image.Image, list[tuple[int, int, int, int]]]:
        """The photo with faces blurred, and the face boxes (kept out of garment masks)."""
        if not self.blur:
            return image.convert("RGB"), []
        from stylelens.vision.faces import FaceBox, blur_faces, find_faces

        # Faces are looked for on a smaller copy: a shopper's photo shows faces large enough, at a third the cost.
        scale = min(1.0, FACE_SIDE / max(image.size))
        small = image if scale == 1.0 else image.resize((round(image.width * scale), round(image.height * scale)))
        found = find_faces(small)
        faces = [FaceBox(f.left / scale, f.top / scale, f.right / scale, f.bottom / scale, f.score) for f in found]
        boxes = [(int(f.left), int(f.top), int(np.ceil(f.right)), int(np.ceil(f.bottom))) for f in faces]
        return blur_faces(image, faces), boxes
