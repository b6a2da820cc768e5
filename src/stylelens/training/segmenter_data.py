"""The segmenter's data: a segmentation dataset's photos and masks in memory, and the training augmentation.

Photos are held as uint8 [N, 3, H, W] and masks as uint8 [N, 1, H, W] (0 or 1), all one size (the synthetic
composites are square). Each training batch is augmented on the fly and reproducibly from a torch generator:
a random zoomed, stretched, turned and shifted view (one affine warp shared by photo and mask, so the mask
stays aligned), a horizontal flip, and brightness, contrast and saturation jitter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor
from torch.nn import functional as F  # noqa: N812 - torch's own convention

from stylelens.data.manifest import Dataset, DatasetError


@dataclass(frozen=True)
class MaskSet:
    """Photos and their garment masks, with the item ids and attributes they came from."""

    images: Tensor  # uint8 [N, 3, H, W]
    masks: Tensor  # uint8 [N, 1, H, W], 1 = garment
    ids: tuple[str, ...]
    styles: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.images.shape[0])


def load_split(dataset: Dataset, split: str, limit: int | None = None) -> MaskSet:
    """One split of a segmentation dataset, in memory (the first `limit` items when given)."""
    if dataset.task != "segmentation":
        raise DatasetError(f"{dataset.root} is a {dataset.task} dataset, not a segmentation one")
    items = dataset.items(split)[:limit] if limit else dataset.items(split)
    if not items:
        raise DatasetError(f"{dataset.root} has no {split} items")
    images, masks = [], []
    for item in items:
        mask_path = dataset.mask_path(item)
        if mask_path is None:
            raise DatasetError(f"item {item.id} has no mask")
        images.append(_read(dataset.image_path(item), "RGB"))
        masks.append(_read(mask_path, "L")[..., None] >= 128)
    if len({a.shape for a in images}) != 1:
        raise DatasetError(f"the {split} photos of {dataset.root} are not all one size")
    return MaskSet(
        images=torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).contiguous(),
        masks=torch.from_numpy(np.stack(masks).astype(np.uint8)).permute(0, 3, 1, 2).contiguous(),
        ids=tuple(item.id for item in items),
        styles=tuple(str(item.attributes.get("style", "")) for item in items),
    )


def _read(path: Path, mode: str) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert(mode))


def augment(images: Tensor, masks: Tensor, side: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """A randomly transformed view of each photo and its mask: float [B, 3, side, side] in 0..1, [B, 1, ...]."""
    n = images.shape[0]

    def uniform(low: float, high: float) -> Tensor:
        return low + (high - low) * torch.rand(n, generator=generator)

    zoom = uniform(1.0, 1.6)  # 1: the whole photo; 1.6: a crop of 1/1.6 of its side
    stretch = torch.exp(uniform(-math.log(1.25), math.log(1.25)))
    turn = uniform(-math.radians(12), math.radians(12))
    flip = torch.where(torch.rand(n, generator=generator) < 0.5, -1.0, 1.0)
    sx, sy = flip * torch.sqrt(stretch) / zoom, 1 / (torch.sqrt(stretch) * zoom)
    slack_x, slack_y = (1 - 1 / zoom).clamp(min=0.05), (1 - 1 / zoom).clamp(min=0.05)
    tx, ty = uniform(-1, 1) * slack_x, uniform(-1, 1) * slack_y
    cos, sin = torch.cos(turn), torch.sin(turn)
    theta = torch.stack([torch.stack([sx * cos, -sy * sin, tx], 1), torch.stack([sx * sin, sy * cos, ty], 1)], 1)
    grid = F.affine_grid(theta, [n, 3, side, side], align_corners=False)
    x = F.grid_sample(images.float() / 255, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    y = F.grid_sample(masks.float(), grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    return _jitter(x, generator), (y >= 0.5).float()


def _jitter(x: Tensor, generator: torch.Generator) -> Tensor:
    """Brightness, contrast and saturation changed by up to about +-25% per photo."""
    n = x.shape[0]
    shape = (n, 1, 1, 1)
    brightness = 0.75 + 0.5 * torch.rand(shape, generator=generator)
    contrast = 0.75 + 0.5 * torch.rand(shape, generator=generator)
    saturation = 0.7 + 0.6 * torch.rand(shape, generator=generator)
    x = x * brightness
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - mean) * contrast + mean
    grey = x.mean(dim=1, keepdim=True)
    return ((x - grey) * saturation + grey).clamp(0, 1)


def as_input(images: Tensor, side: int) -> Tensor:
    """Photos resized to the network's input exactly as serving does (PIL bilinear, 0..1)."""
    from stylelens.vision.segmenter import to_input

    batch = [to_input(img.permute(1, 2, 0).numpy(), side) for img in images]
    return torch.from_numpy(np.concatenate(batch))
