"""Everything the search needs from one photo: each garment's place, mask, category, colours, pattern, embedding.

With a person in the photo, garments come from body regions (upper body, lower body, full length, feet, a
carried bag), masked by the person mask without skin or faces; faces are blurred before any pixel is cropped,
so nothing that leaves the pipeline shows one. Without a person, the salient garment of a packshot or flat-lay.
A blank photo has no garment: an empty list, not an error.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from PIL import Image

from stylelens.vision.categories import CategoryModel, CategoryScore
from stylelens.vision.colors import ColorShare, garment_colors
from stylelens.vision.embedder import Embedder
from stylelens.vision.faces import FaceBox, blur_faces, find_faces
from stylelens.vision.foreground import (
    Reduced,
    garment_mask,
    is_blank,
    mask_box,
    plain_background_mask,
    reduce_photo,
)
from stylelens.vision.heads import SoftmaxHead
from stylelens.vision.patterns import texture_features
from stylelens.vision.person import PersonFinder, might_show_person
from stylelens.vision.regions import Box, person_regions
from stylelens.vision.segmenter import GarmentSegmenter, foreground_mask
from stylelens.vision.shape import shape_features
from stylelens.vision.silhouette import SilhouetteClassifier

FACE_SIDE = 224  # longest side of the copy faces are detected on (a shopper's photo shows faces that large)
BAG_MIN_SCORE = 0.35  # a wrist region is reported as a bag only when ImageNet sees one this clearly
KIND_ORDER = {"upper": 0, "full": 1, "lower": 2, "feet": 3, "bag": 4, "garment": 0}
_NO_PIXELS = np.zeros((0, 0, 3), np.uint8)  # stands for a photo's pixels that nothing will read


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
    """Finds the garments in a photo, names their category, colours and pattern, and embeds them for the index.

    Models that release Python's lock (ONNX Runtime: the backbone, the face detector) run on two helper threads
    while the calling thread works out masks, colours and texture, so one photo keeps both cores busy.
    """

    def __init__(
        self,
        embedder: Embedder,
        category_head: SoftmaxHead | None = None,
        pattern_head: SoftmaxHead | None = None,
        persons: PersonFinder | None = None,
        blur: bool = True,
        segmenter: GarmentSegmenter | None = None,
        silhouette: SilhouetteClassifier | None = None,
    ) -> None:
        self.embedder = embedder
        self.segmenter = segmenter  # the trained garment mask for photos without a person (None: GrabCut)
        # The category head, joined (when prepared) by the silhouette classifier.
        self.categories = CategoryModel(category_head, silhouette) if category_head is not None else None
        self.pattern_head = pattern_head
        self.persons = persons
        self.blur = blur
        self._helpers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="vision")

    def load(self) -> None:
        """Load and warm every model now (the service does this at start-up, not on a shopper's request)."""
        self.embedder.load()
        if self.segmenter is not None:
            self.segmenter.load()
        if self.persons is not None:
            self.persons.load()
        if self.categories is not None and self.categories.silhouette is not None:
            self.categories.silhouette.load()
        if self.blur and self.persons is not None:
            find_faces(Image.new("RGB", (FACE_SIDE, FACE_SIDE)), FACE_SIDE)  # opens and warms the detector

    def analyse(self, image: Image.Image, mask: npt.NDArray[np.bool_] | None = None) -> list[Garment]:
        """The garments of one photo, best first (a person's upper body first)."""
        if mask is not None or self.persons is None:
            return self.analyse_batch([image], [mask])[0]
        return self.analyse_photo(image).garments

    def analyse_photo(self, image: Image.Image) -> PhotoAnalysis:
        """The full reading of a shopper's photo: people, faces, garment regions, attributes.

        A person here always shows a face (that is what tells a body from a shirt the pose model mistook for a
        torso), so faces are looked for first, on a helper thread, and the pose model runs only when there is
        one. A small copy with no skin-coloured pixel (many packshots) skips the person models altogether.
        """
        rgb = _rgb_array(image)
        reduced = reduce_photo(rgb)
        if is_blank(rgb, reduced):
            return PhotoAnalysis([], image, False)
        if self.persons is None or not might_show_person(*reduced):
            return PhotoAnalysis(self._read(image, rgb, [Part("garment", self._mask(rgb, reduced))]), image, False)
        if not self.blur:
            found = self._person(image, rgb, [])
            if found is not None:
                return found
            return PhotoAnalysis(self._read(image, rgb, [Part("garment", self._mask(rgb, reduced))]), image, False)
        faces = self._helpers.submit(self._faces, image)
        # While faces are looked for, a plain-background photo is read as a packshot (cheap; dropped if a person
        # is found). A busy one waits: it is as likely a person in a street as a garment on a bed.
        plain = plain_background_mask(rgb, reduced)
        packshot = self._read(image, rgb, [Part("garment", plain)]) if plain is not None else None
        boxes = faces.result()
        person = self._person(image, rgb, boxes) if boxes else None
        if person is not None:
            return person
        if packshot is None:
            packshot = self._read(image, rgb, [Part("garment", self._mask(rgb, reduced))])
        # With a face but no body the pose model can read, the packshot reading stands; the photo kept is blurred.
        safe = blur_faces(image, [FaceBox(*box, 1.0) for box in boxes]) if boxes else image
        return PhotoAnalysis(packshot, safe, False)

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
        known = masks or [None] * len(images)
        shares = colors or [None] * len(images)
        # The pixels as an array only where something still reads them (a catalog sync brings mask and colours).
        needed = [m is None or c is None or attributes for m, c in zip(known, shares, strict=True)]
        rgbs = [_rgb_array(image) if need else _NO_PIXELS for image, need in zip(images, needed, strict=True)]
        found = [m if m is not None else garment_mask(rgb) for m, rgb in zip(known, rgbs, strict=True)]
        vectors, logits = self.embedder.embed_with_logits(images, found)
        out = []
        for rgb, mask, vector, logit, c in zip(rgbs, found, vectors, logits, shares, strict=True):
            reading = self._attributes(rgb, Part("garment", mask), attributes=attributes, colors=c)
            out.append([self._finish(reading, vector, logit)])
        return out

    def _mask(self, rgb: npt.NDArray[np.uint8], reduced: Reduced) -> npt.NDArray[np.bool_]:
        """The garment of a photo without a person: the colour model on a plain background, else the trained
        segmenter (when one is active and its mask is plausible), else GrabCut."""
        if self.segmenter is None:
            return garment_mask(rgb, reduced)
        return foreground_mask(rgb, self.segmenter, reduced)

    def _person(self, image: Image.Image, rgb: npt.NDArray[np.uint8], faces: list[Box]) -> PhotoAnalysis | None:
        """The garments a person wears, read from the photo with its faces blurred; None when nobody is there."""
        assert self.persons is not None
        reading = self.persons.find(rgb)
        if reading is None or (self.blur and not any(reading.has_head_at(box) for box in faces)):
            return None
        safe = blur_faces(image, [FaceBox(*box, 1.0) for box in faces]) if faces else image.convert("RGB")
        safe_rgb = np.asarray(safe)
        regions = person_regions(safe_rgb, reading, faces)
        parts = [Part(r.kind, r.mask, (r.box[0], r.box[1], r.box[2] - r.box[0], r.box[3] - r.box[1])) for r in regions]
        garments = self._read(safe, safe_rgb, parts)
        return PhotoAnalysis(sorted(garments, key=lambda g: KIND_ORDER.get(g.kind, 9)), safe, True)

    def _read(self, image: Image.Image, rgb: npt.NDArray[np.uint8], parts: list[Part]) -> list[Garment]:
        """Every part of one photo embedded in one backbone run (on a helper thread) while the calling thread
        reads their colours, shape and texture; a wrist region stays only when the backbone sees a bag there."""
        embedded = self._helpers.submit(self.embedder.embed_with_logits, [image] * len(parts), [p.mask for p in parts])
        readings = {i: self._attributes(rgb, p) for i, p in enumerate(parts) if p.kind != "bag"}
        vectors, logits = embedded.result()
        if any(p.kind == "bag" for p in parts):
            bags = self.categories.bag_score(logits) if self.categories is not None else np.ones(len(parts))
            kept = [i for i, p in enumerate(parts) if p.kind == "bag" and bags[i] >= BAG_MIN_SCORE]
            readings |= {i: self._attributes(rgb, parts[i]) for i in kept}
        return [self._finish(readings[i], vectors[i], logits[i]) for i in sorted(readings)]

    def _attributes(
        self,
        rgb: npt.NDArray[np.uint8],
        part: Part,
        *,
        attributes: bool = True,
        colors: list[ColorShare] | None = None,
    ) -> Reading:
        """What a garment's pixels say without the backbone: colours, silhouette, texture."""
        shape = shape_features(rgb, part.mask) if attributes and self.categories is not None else None
        texture = texture_features(rgb, part.mask) if attributes and self.pattern_head is not None else None
        if colors is None:
            colors = garment_colors(rgb, part.mask)
        return Reading(part, colors, shape, texture)

    def _finish(self, reading: Reading, vector: npt.NDArray[np.float32], logits: npt.NDArray[np.float32]) -> Garment:
        """The garment, once the backbone's vector and logits name its category and pattern."""
        categories: list[CategoryScore] = []
        if reading.shape is not None and self.categories is not None:
            features = np.concatenate([vector, reading.shape])[None]
            scores = self.categories.scores(features, logits[None], reading.shape[None])
            categories = self.categories.top(scores[0])
        pattern = None
        if reading.texture is not None and self.pattern_head is not None:
            p = self.pattern_head.probabilities(np.concatenate([vector, reading.texture])[None])[0]
            best = int(np.argmax(p))
            pattern = PatternScore(self.pattern_head.classes[best], round(float(p[best]), 4))
        part = reading.part
        box = part.box if part.box is not None else mask_box(part.mask)
        return Garment(Region(*box), reading.colors, vector, part.mask, part.kind, categories, pattern)

    def _faces(self, image: Image.Image) -> list[Box]:
        """The face boxes (x0, y0, x1, y1) in the photo's pixels, found on one small copy."""
        found = find_faces(image, FACE_SIDE)
        return [(int(f.left), int(f.top), int(np.ceil(f.right)), int(np.ceil(f.bottom))) for f in found]


@dataclass(frozen=True)
class Part:
    """A place in a photo to read as one garment: its kind, mask and (x, y, w, h) box (None: the mask's)."""

    kind: str
    mask: npt.NDArray[np.bool_]
    box: tuple[int, int, int, int] | None = None


@dataclass(frozen=True)
class Reading:
    """A garment's attributes that need no backbone: colours and the shape and texture descriptors."""

    part: Part
    colors: list[ColorShare]
    shape: npt.NDArray[np.float32] | None
    texture: npt.NDArray[np.float32] | None


def _rgb_array(image: Image.Image) -> npt.NDArray[np.uint8]:
    """The photo's pixels as an H x W x 3 array (no copy of an RGB image beyond numpy's own view)."""
    return np.asarray(image if image.mode == "RGB" else image.convert("RGB"))
