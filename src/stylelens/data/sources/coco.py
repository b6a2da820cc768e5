"""COCO-format instance annotations as a dataset (instances JSON + a folder of pictures).

Two ways to read it (`mode`):
- "instance" (default): one item per annotation, the picture cropped to the instance mask's box plus a 10%
  margin, with that instance's mask; label = the annotation's category. Crowd annotations are skipped.
- "image": one item per picture, with the union of all its instance masks; label = the category of the
  largest instance, every category present listed in attributes["categories"].
Either way the group is the picture, so the crops of one photo always share a split.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
from PIL import Image

from stylelens.data.manifest import SourceInfo
from stylelens.data.sources.base import Candidate, Skipped, local_licence, split_for
from stylelens.data.sources.coco_masks import annotation_mask
from stylelens.errors import StyleLensError
from stylelens.vision.decode import MIN_SIDE, decode_image

MARGIN: Final[float] = 0.10
CocoMode = Literal["instance", "image"]


@dataclass
class CocoSource:
    """A COCO instances file and the folder its file_names are relative to."""

    annotations: Path
    images_dir: Path
    mode: CocoMode = "instance"
    seed: int = 0
    licence: str | None = None
    task: str = "segmentation"
    max_bytes: int = 15 * 1024 * 1024
    max_pixels: int = 40_000_000
    info: SourceInfo = field(init=False)
    labels: list[str] | None = field(init=False)

    def __post_init__(self) -> None:
        if self.mode not in ("instance", "image"):
            raise ValueError(f"mode must be 'instance' or 'image', not {self.mode!r}")
        self.annotations, self.images_dir = Path(self.annotations), Path(self.images_dir)
        data = json.loads(self.annotations.read_text(encoding="utf-8"))
        self._categories = {int(c["id"]): str(c["name"]) for c in data.get("categories", [])}
        self._images = {int(i["id"]): i for i in data.get("images", [])}
        self._licences = {int(x["id"]): str(x.get("name") or x.get("url") or x["id"]) for x in data.get("licenses", [])}
        self._by_image: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for annotation in data.get("annotations", []):
            self._by_image[int(annotation["image_id"])].append(annotation)
        self.labels = sorted(set(self._categories.values()))
        self.info = SourceInfo(
            name=self.annotations.stem, kind="coco", licence=local_licence(self.licence),
            provenance=f"COCO instances {self.annotations.resolve()}, pictures in {self.images_dir.resolve()}",
        )  # fmt: skip

    def total(self) -> int:
        if self.mode == "image":
            return len(self._images)
        return sum(1 for anns in self._by_image.values() for a in anns if not a.get("iscrowd"))

    def candidates(self) -> Iterator[Candidate | Skipped]:
        for image_id, meta in sorted(self._images.items()):
            origin = str(meta.get("file_name", image_id))
            annotations = self._by_image.get(image_id, [])
            try:
                picture = self._picture(meta)
            except (OSError, StyleLensError, ValueError) as exc:
                yield Skipped(origin, getattr(exc, "detail", None) or str(exc))
                continue
            if self.mode == "image":
                yield self._whole(image_id, origin, meta, picture, annotations)
            else:
                yield from self._instances(image_id, origin, meta, picture, annotations)

    def _picture(self, meta: dict[str, Any]) -> Image.Image:
        data = (self.images_dir / str(meta["file_name"])).read_bytes()
        picture = decode_image(data, max_bytes=self.max_bytes, max_pixels=self.max_pixels)
        expected = (int(meta.get("width", picture.width)), int(meta.get("height", picture.height)))
        if picture.size != expected:
            raise ValueError(f"the picture is {picture.size}, the annotations say {expected} (EXIF rotation?)")
        return picture

    def _common(self, image_id: int, meta: dict[str, Any]) -> dict[str, Any]:
        group = f"coco-image-{image_id}"
        licence = self._licences.get(int(meta["license"])) if "license" in meta else None
        return {"group": group, "split": split_for(group, self.seed), "licence": licence}

    def _instances(
        self, image_id: int, origin: str, meta: dict[str, Any], picture: Image.Image, annotations: list[dict[str, Any]]
    ) -> Iterator[Candidate | Skipped]:
        for annotation in annotations:
            where = f"{origin} annotation {annotation.get('id')}"
            if annotation.get("iscrowd"):
                continue
            try:
                label = self._categories[int(annotation["category_id"])]
                mask = annotation_mask(annotation["segmentation"], picture.height, picture.width)
            except (KeyError, TypeError, ValueError) as exc:
                yield Skipped(where, f"unreadable annotation: {exc}")
                continue
            box = _crop_box(mask)
            if box is None:
                yield Skipped(where, "the mask is empty or smaller than a few pixels")
                continue
            left, top, right, bottom = box
            yield Candidate(
                image=picture.crop(box), origin=where, label=label, mask=mask[top:bottom, left:right],
                id=f"coco-{annotation['id']}",
                attributes={"origin": origin, "coco_image_id": image_id, "box": list(box)},
                **self._common(image_id, meta),
            )  # fmt: skip

    def _whole(
        self, image_id: int, origin: str, meta: dict[str, Any], picture: Image.Image, annotations: list[dict[str, Any]]
    ) -> Candidate | Skipped:
        union = np.zeros((picture.height, picture.width), dtype=bool)
        areas: dict[str, int] = defaultdict(int)
        try:
            for annotation in annotations:
                mask = annotation_mask(annotation["segmentation"], picture.height, picture.width)
                union |= mask
                areas[self._categories[int(annotation["category_id"])]] += int(mask.sum())
        except (KeyError, TypeError, ValueError) as exc:
            return Skipped(origin, f"unreadable annotation: {exc}")
        if not areas:
            return Skipped(origin, "the picture has no annotations")
        return Candidate(
            image=picture, origin=origin, label=max(areas, key=lambda k: areas[k]), mask=union,
            id=f"coco-image-{image_id}",
            attributes={"origin": origin, "coco_image_id": image_id, "categories": sorted(areas)},
            **self._common(image_id, meta),
        )  # fmt: skip


def _crop_box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """The mask's bounding box plus a margin, clamped to the picture; None when too small to be a photo."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not len(rows):
        return None
    top, bottom, left, right = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    dy, dx = round((bottom - top) * MARGIN), round((right - left) * MARGIN)
    height, width = mask.shape
    box = (max(0, left - dx), max(0, top - dy), min(width, right + dx), min(height, bottom + dy))
    if min(box[2] - box[0], box[3] - box[1]) < MIN_SIDE:
        return None
    return box
