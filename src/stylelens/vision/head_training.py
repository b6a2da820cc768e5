"""Training the category and pattern heads on our own products, once, when models are prepared.

The training products are demo products *outside* the demo catalog (indices from `FIRST` on: other
Fashion-MNIST pictures, other colours), each seen as its packshot and as shopper-style photos (busy and plain
backgrounds, perspective, colour cast, blur, JPEG, occlusion) with the mask the pipeline itself would find.
So the evaluation on catalog items never sees a training picture. Plain numpy; a few tens of seconds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

import numpy as np

from stylelens.vision.embedder import Embedder
from stylelens.vision.foreground import garment_mask
from stylelens.vision.heads import SoftmaxHead, fit_head
from stylelens.vision.patterns import PATTERN_NAMES, texture_features
from stylelens.vision.shape import shape_features

FIRST: Final[int] = 10_000  # training products start here; the demo catalog uses the first few thousand
COUNT: Final[int] = 500
VIEWS: Final[tuple[str, ...]] = ("busy", "sheet", "cast", "occluded")
VERSION: Final[int] = 4
CATEGORY_L2: Final[float] = 1e-2  # the silhouette features overfit without it


def heads_dir(models_dir: Path, backbone: str) -> Path:
    return Path(models_dir) / "heads" / backbone


def heads_current(models_dir: Path, backbone: str) -> bool:
    """Whether both heads exist for this backbone and were made by this version of the recipe."""
    folder = heads_dir(models_dir, backbone)
    try:
        meta = json.loads((folder / "heads.json").read_text())
    except (OSError, ValueError):
        return False
    return bool(meta.get("version") == VERSION and (folder / "category.npz").is_file())


def load_heads(models_dir: Path, backbone: str) -> tuple[SoftmaxHead, SoftmaxHead]:
    """The category and pattern heads of a backbone."""
    folder = heads_dir(models_dir, backbone)
    return SoftmaxHead.load(folder / "category.npz"), SoftmaxHead.load(folder / "pattern.npz")


def train_heads(
    models_dir: Path, backbone: str, seed: int = 7, count: int = COUNT, embedder: Embedder | None = None
) -> Path:
    """Fit both heads for one backbone and save them under models_dir/heads/<backbone>/.

    With a trained embedder head, pass that `embedder` and its `identity` as `backbone`: the heads then read
    its vectors and are kept apart from the frozen backbone's.
    """
    from stylelens.catalog.demo import CATEGORIES, demo_attributes
    from stylelens.catalog.demo_render import render_packshot
    from stylelens.catalog.fashion_mnist import load_fashion_mnist
    from stylelens.evaluation.shopper import shopper_photo
    from stylelens.vision.palette import PALETTE, hex_to_rgb

    embedder = embedder or Embedder(models_dir, backbone, threads=2)
    pictures, _ = load_fashion_mnist("train")
    images, masks, categories, patterns = [], [], [], []
    products = list(demo_attributes(seed, FIRST + count))[FIRST:]
    for index, product in enumerate(products, start=FIRST):
        rng = np.random.default_rng([seed, index, 1])
        base, motif = hex_to_rgb(PALETTE[product.colors[0]]), hex_to_rgb(PALETTE[product.colors[-1]])
        image, mask = render_packshot(pictures[product.source_index], base, motif, product.pattern, rng)
        style = VIEWS[index % len(VIEWS)]
        photo = shopper_photo(image, mask, product.category, style, np.random.default_rng([seed, index, 5]))
        for view, view_mask in ((image, mask), (photo, garment_mask(np.asarray(photo)))):
            images.append(view)
            masks.append(view_mask)
            categories.append(CATEGORIES.index(product.category))
            patterns.append(PATTERN_NAMES.index(product.pattern))
    vectors, _ = embedder.embed_with_logits(images, masks)
    rgbs = [np.asarray(i.convert("RGB")) for i in images]
    textures = np.stack([texture_features(rgb, m) for rgb, m in zip(rgbs, masks, strict=True)])
    shapes = np.stack([shape_features(rgb, m) for rgb, m in zip(rgbs, masks, strict=True)])
    folder = heads_dir(models_dir, backbone)
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / "features.npz", vectors=vectors, textures=textures, shapes=shapes, categories=categories)
    held_out = (np.arange(len(images)) // 2) % 5 == 0  # a fifth of the products, both views, calibrate
    category = fit_head(
        np.concatenate([vectors, shapes], axis=1), np.asarray(categories), tuple(CATEGORIES), held_out=held_out,
        l2=CATEGORY_L2,
    )  # fmt: skip
    pattern = fit_head(
        np.concatenate([vectors, textures], axis=1), np.asarray(patterns), PATTERN_NAMES, held_out=held_out
    )
    category.save(folder / "category.npz")
    pattern.save(folder / "pattern.npz")
    (folder / "heads.json").write_text(
        json.dumps({"version": VERSION, "backbone": backbone, "products": count, "first": FIRST, "seed": seed})
    )
    return folder
