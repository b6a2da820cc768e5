"""The garment segmenter's network: ImageNet MobileNetV2 features with a light FPN decoder, one logit a pixel.

Input: float32 [N, 3, H, W] RGB in 0..1 (H and W multiples of 32); the ImageNet normalisation happens
inside, so the exported ONNX file needs no preprocessing beyond resizing. Output: `logits` [N, 1, H, W],
garment where > 0. The encoder taps MobileNetV2 at strides 4, 8, 16 and 32 (24, 32, 96, 320 channels); the
decoder adds them top-down at 64 channels and predicts at stride 4, then upsamples bilinearly.
"""

from __future__ import annotations

from typing import Final, cast

import torch
from torch import Tensor, nn
from torch.nn import functional as F  # noqa: N812 - torch's own convention

from stylelens.training.backbones import MobileNetV2, load_backbone, spec

# Slices of MobileNetV2.features ending at strides 4, 8, 16 and 32, and their output channels.
STAGES: Final[tuple[tuple[int, int], ...]] = ((0, 4), (4, 7), (7, 14), (14, 18))
STAGE_CHANNELS: Final[tuple[int, ...]] = (24, 32, 96, 320)
WIDTH: Final[int] = 64


class GarmentSegNet(nn.Module):
    """Binary garment-vs-background segmentation on an ImageNet MobileNetV2 encoder."""

    mean: Tensor
    std: Tensor

    def __init__(self, pretrained: bool = True, width: int = WIDTH) -> None:
        super().__init__()
        backbone = load_backbone("mobilenet_v2") if pretrained else MobileNetV2()
        features = cast(nn.Sequential, backbone.features)
        self.stages = nn.ModuleList(features[a:b] for a, b in STAGES)
        self.lateral = nn.ModuleList(nn.Conv2d(c, width, 1) for c in STAGE_CHANNELS)
        self.smooth = nn.Sequential(
            nn.Conv2d(width, width, 3, padding=1, groups=width, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
            nn.Conv2d(width, width, 1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
        )
        self.head = nn.Conv2d(width, 1, 1)
        backbone_spec = spec("mobilenet_v2")
        self.register_buffer("mean", torch.tensor(backbone_spec.mean).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(backbone_spec.std).view(1, 3, 1, 1))

    def forward(self, image: Tensor) -> Tensor:
        x = (image - self.mean) / self.std
        taps = []
        for stage in self.stages:
            x = stage(x)
            taps.append(x)
        top = self.lateral[-1](taps[-1])
        for lateral, tap in zip(reversed(self.lateral[:-1]), reversed(taps[:-1]), strict=True):
            top = lateral(tap) + F.interpolate(top, size=tap.shape[-2:], mode="bilinear", align_corners=False)
        logits = self.head(self.smooth(top))
        return F.interpolate(logits, size=image.shape[-2:], mode="bilinear", align_corners=False)

    def encoder_parameters(self) -> list[nn.Parameter]:
        return list(self.stages.parameters())

    def decoder_parameters(self) -> list[nn.Parameter]:
        encoder = {id(p) for p in self.encoder_parameters()}
        return [p for p in self.parameters() if id(p) not in encoder]
