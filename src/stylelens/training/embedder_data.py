"""The pictures the garment embedder learns from and is measured on, turned into frozen backbone features once.

A projection head is trained on top of the frozen backbone, so every picture is read by the serving pipeline
exactly once (`GarmentAnalyser`: person/garment finding, the mask, the masked crop, the ONNX backbone) and its
L2-normalised backbone vector is cached in an `.npz`. Training then runs on those vectors in seconds.

Products are split by identity, never by photo:
- *train* and *val* products are demo products far outside the demo catalog (indices from `TRAIN_FIRST` on:
  other Fashion-MNIST pictures, other colours and patterns), each as its packshot plus several shopper-style
  photos (`evaluation.shopper`, seeds of their own);
- *test* products are the demo catalog itself: its packshots are the gallery, and the queries are shopper-style
  photos made exactly like `stylelens eval vision` makes them (seed, style rotation, spread over the catalog).
So the catalog the shop searches never contributes a training picture.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from stylelens.vision.analysis import GarmentAnalyser

TRAIN_FIRST: Final[int] = 20_000  # the catalog uses the first few thousand products; heads use 10 000+
FORMAT: Final[int] = 1
Floats = NDArray[np.float32]
View = Image.Image | tuple[Image.Image, NDArray[np.bool_]]  # a shopper photo, or a packshot with its mask


@dataclass(frozen=True)
class ViewSet:
    """Backbone vectors of photos, the product each shows, and how each was taken."""

    vectors: Floats  # (n, 1280), L2-normalised backbone features
    products: NDArray[np.int64]  # product index (the identity)
    styles: NDArray[np.str_]  # "packshot" or a shopper style

    def __len__(self) -> int:
        return len(self.products)

    def where(self, keep: NDArray[np.bool_]) -> ViewSet:
        return ViewSet(self.vectors[keep], self.products[keep], self.styles[keep])

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, vectors=self.vectors, products=self.products, styles=self.styles)

    @classmethod
    def load(cls, path: Path) -> ViewSet:
        with np.load(path) as data:
            return cls(data["vectors"].astype(np.float32), data["products"].astype(np.int64), data["styles"])


@dataclass(frozen=True)
class FeatureSpec:
    """Which products and photos make up the train, val and test sets (the cache key)."""

    seed: int = 7
    train_products: int = 2000
    val_products: int = 200
    views: int = 3  # shopper-style photos per train/val product, besides its packshot
    catalog: int = 2400  # test gallery: the demo catalog's first N packshots
    queries: int = 600  # test queries: shopper photos spread over the catalog, as `eval vision` makes them

    def key(self) -> str:
        return hashlib.sha256(json.dumps([FORMAT, *self.__dict__.values()]).encode()).hexdigest()[:12]


def shopper_views(seed: int, first: int, count: int, views: int) -> Iterator[tuple[int, str, View]]:
    """(product index, style, photo) for the packshot and `views` shopper photos of products first..first+count."""
    from stylelens.catalog.demo import demo_attributes
    from stylelens.catalog.demo_render import render_packshot
    from stylelens.catalog.fashion_mnist import load_fashion_mnist
    from stylelens.evaluation.shopper import STYLES, shopper_photo
    from stylelens.vision.palette import PALETTE, hex_to_rgb

    pictures, _ = load_fashion_mnist("train")
    products = list(demo_attributes(seed, first + count))[first:]
    for index, product in enumerate(products, start=first):
        base, motif = hex_to_rgb(PALETTE[product.colors[0]]), hex_to_rgb(PALETTE[product.colors[-1]])
        rng = np.random.default_rng([seed, index, 1])
        image, mask = render_packshot(pictures[product.source_index], base, motif, product.pattern, rng)
        yield index, "packshot", (image, mask)
        for v in range(views):
            style = STYLES[(index + v) % len(STYLES)]
            rng = np.random.default_rng([seed, index, 900 + v])  # eval vision uses [seed, n]
            yield index, style, shopper_photo(image, mask, product.category, style, rng)


def embed_views(
    analyser: GarmentAnalyser, views: Iterator[tuple[int, str, View]], on_progress: Callable[[int], None] | None
) -> ViewSet:
    """Backbone vectors the serving pipeline computes: packshots with their mask, photos as a shopper sends them."""
    vectors, products, styles = [], [], []
    dim = analyser.embedder.dim
    for index, style, view in views:
        if isinstance(view, tuple):  # a packshot with its exact mask, as the catalog ingests it
            garments = analyser.analyse_batch([view[0]], [view[1]], attributes=False)[0]
        else:
            garments = analyser.analyse(view)
        vectors.append(garments[0].embedding if garments else np.zeros(dim, np.float32))
        products.append(index)
        styles.append(style)
        if on_progress:
            on_progress(1)
    return ViewSet(np.stack(vectors).astype(np.float32), np.asarray(products), np.asarray(styles))


def catalog_views(analyser: GarmentAnalyser, spec: FeatureSpec) -> tuple[ViewSet, ViewSet]:
    """The demo catalog's packshots (gallery) and the shopper photos `stylelens eval vision` would send (queries)."""
    from stylelens.catalog.demo import demo_products
    from stylelens.evaluation.shopper import STYLES, shopper_photo
    from stylelens.evaluation.vision import catalog_embeddings

    items = list(demo_products(spec.seed, spec.catalog))
    gallery = list(catalog_embeddings(analyser, items))
    step = max(1, spec.catalog // spec.queries)

    def queries() -> Iterator[tuple[int, str, View]]:
        for n, index in enumerate(range(0, spec.catalog, step)[: spec.queries]):
            item, style = items[index], STYLES[n % len(STYLES)]
            rng = np.random.default_rng([spec.seed, n])
            yield index, style, shopper_photo(item.image, item.mask, item.product.category, style, rng)

    catalog = ViewSet(
        np.stack(gallery).astype(np.float32), np.arange(len(items)), np.asarray(["packshot"] * len(items))
    )
    return catalog, embed_views(analyser, queries(), None)


def build_features(
    analyser: GarmentAnalyser, spec: FeatureSpec, cache_dir: Path, on_progress: Callable[[str, int], None] | None = None
) -> dict[str, ViewSet]:
    """train / val / gallery / queries view sets, read from `cache_dir/<key>/` when already computed."""
    folder = cache_dir / spec.key()
    names = ("train", "val", "gallery", "queries")
    if all((folder / f"{n}.npz").is_file() for n in names):
        return {n: ViewSet.load(folder / f"{n}.npz") for n in names}

    def tick(name: str) -> Callable[[int], None]:
        return lambda k: on_progress(name, k) if on_progress else None

    started, first = time.perf_counter(), TRAIN_FIRST
    sets = {
        "train": embed_views(analyser, shopper_views(spec.seed, first, spec.train_products, spec.views), tick("train")),
        "val": embed_views(
            analyser, shopper_views(spec.seed, first + spec.train_products, spec.val_products, spec.views), tick("val")
        ),
    }
    sets["gallery"], sets["queries"] = catalog_views(analyser, spec)
    for name, views in sets.items():
        views.save(folder / f"{name}.npz")
    seconds = round(time.perf_counter() - started)  # the report says what reading the photos cost
    (folder / "spec.json").write_text(json.dumps({**spec.__dict__, "seconds": seconds}, indent=2))
    return sets
