"""The pictures the silhouette classifier learns from: garments as the serving pipeline itself cuts them out.

Each training product is a demo product *outside* the demo catalog (from index `FIRST` on: other Fashion-MNIST
train pictures, other colours and prints), seen as its packshot (with its exact mask, as the catalog ingests it)
and as `PHOTOS` shopper-style photos cycling through every style (busy, sheet, cast, occluded, worn). A photo is
read by the real `GarmentAnalyser` (person regions, skin removed, segmenter or GrabCut) and its first garment's
mask gives the silhouette descriptor (`vision.shape.shape_features`) the classifier reads at serving time. So the
classifier learns from the masks it will be given, mistakes included, and the evaluation's catalog items are
never seen. Torch-free; about 0.3 s a product on 2 cores.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from stylelens.vision.analysis import GarmentAnalyser
from stylelens.vision.shape import shape_features

FIRST: Final[int] = 30_000  # the demo catalog uses the first few thousand; the embedder's data starts at 20,000
PHOTOS: Final[int] = 2


@dataclass(frozen=True)
class SilhouetteData:
    """Silhouette descriptors (n, SHAPE_FEATURES), class indices, product index and view of each row."""

    shapes: NDArray[np.float32]
    labels: NDArray[np.int64]
    products: NDArray[np.int64]
    views: NDArray[np.str_]

    def save(self, path: str) -> None:
        np.savez_compressed(path, shapes=self.shapes, labels=self.labels, products=self.products, views=self.views)

    @classmethod
    def load(cls, path: str) -> SilhouetteData:
        with np.load(path) as d:
            return cls(d["shapes"], d["labels"], d["products"], d["views"])


def silhouette_data(
    analyser: GarmentAnalyser,
    count: int,
    *,
    first: int = FIRST,
    seed: int = 7,
    photos: int = PHOTOS,
    progress: Callable[[int], None] | None = None,
) -> SilhouetteData:
    """Descriptors of `count` training products, each as its packshot and `photos` shopper-style photos."""
    from stylelens.catalog.demo import CATEGORIES, demo_attributes
    from stylelens.catalog.demo_render import render_packshot
    from stylelens.catalog.fashion_mnist import load_fashion_mnist
    from stylelens.evaluation.shopper import STYLES, shopper_photo
    from stylelens.vision.palette import PALETTE, hex_to_rgb

    pictures, _ = load_fashion_mnist("train")
    shapes, labels, products, views = [], [], [], []
    for index, product in enumerate(list(demo_attributes(seed, first + count))[first:], start=first):
        rng = np.random.default_rng([seed, index, 1])
        base, motif = hex_to_rgb(PALETTE[product.colors[0]]), hex_to_rgb(PALETTE[product.colors[-1]])
        image, mask = render_packshot(pictures[product.source_index], base, motif, product.pattern, rng)
        rows = [("packshot", shape_features(np.asarray(image.convert("RGB")), mask))]
        for k in range(photos):
            style = STYLES[(index * photos + k) % len(STYLES)]
            photo = shopper_photo(image, mask, product.category, style, np.random.default_rng([seed, index, 5 + k]))
            read = analyser.analyse_photo(photo) if analyser.persons is not None else None
            garments = read.garments if read is not None else analyser.analyse(photo)
            if garments:  # a photo the pipeline finds nothing in teaches nothing about categories
                rgb = np.asarray((read.image if read is not None else photo).convert("RGB"))
                rows.append((style, shape_features(rgb, garments[0].mask)))
        for view, shape in rows:
            shapes.append(shape)
            labels.append(CATEGORIES.index(product.category))
            products.append(index)
            views.append(view)
        if progress is not None:
            progress(1)
    return SilhouetteData(
        np.stack(shapes).astype(np.float32), np.asarray(labels, np.int64), np.asarray(products, np.int64),
        np.asarray(views),
    )  # fmt: skip
