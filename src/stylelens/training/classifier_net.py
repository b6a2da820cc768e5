"""GarmentNet: the compact convolutional network that sorts garment pictures into classes.

VGG-style (Simonyan & Zisserman 2015) with batch norm: one convolution at full resolution, then two stages of
two convolutions each, halving the resolution and doubling the width, global average pooling and a linear
layer. At width 48 (the recipe's) it has about 0.63 M parameters. The network takes pixels scaled to 0..1 and
normalises them itself, so the exported ONNX model needs no preprocessing beyond resizing and scaling. With
`mirror_average` set, evaluation averages the logits of each picture and its mirror image (in the exported
graph too).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def _conv(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class GarmentNet(nn.Module):
    """Pictures [N, C, H, W] in 0..1 -> class logits [N, classes]."""

    mean: Tensor
    std: Tensor

    def __init__(
        self,
        classes: int,
        channels: int = 1,
        width: int = 32,
        mean: float = 0.2860,
        std: float = 0.3530,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean))
        self.register_buffer("std", torch.tensor(std))
        w = width
        self.features = nn.Sequential(
            *_conv(channels, w),
            nn.MaxPool2d(2),
            *_conv(w, 2 * w),
            *_conv(2 * w, 2 * w),
            nn.MaxPool2d(2),
            *_conv(2 * w, 4 * w),
            *_conv(4 * w, 4 * w),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(4 * w, classes))
        self.mirror_average = False  # not a weight: set by the recipe before evaluation and export

    def forward(self, pixels: Tensor) -> Tensor:
        logits = self._logits(pixels)
        if self.mirror_average and not self.training:
            logits = (logits + self._logits(pixels.flip(3))) / 2
        return logits

    def _logits(self, pixels: Tensor) -> Tensor:
        out: Tensor = self.head(self.features((pixels - self.mean) / self.std))
        return out


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
