"""The plain-PyTorch MobileNetV2 matches torchvision's checkpoint key for key and gives both outputs."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from stylelens.training.backbones import BACKBONES, MobileNetV2, load_backbone, weights_path  # noqa: E402


def test_weights_come_from_the_installed_package() -> None:
    path = weights_path(BACKBONES["mobilenet_v2"])
    assert path.name == "mobilenet_v2-b0353104.pth" and path.is_file()
    assert "site-packages" in path.parts or "dist-packages" in path.parts


def test_state_dict_keys_match_torchvision_exactly() -> None:
    checkpoint = torch.load(weights_path(BACKBONES["mobilenet_v2"]), map_location="cpu", weights_only=True)
    ours = MobileNetV2().state_dict()
    assert list(ours) == list(checkpoint)
    assert list(ours)[0] == "features.0.0.weight" and list(ours)[-1] == "classifier.1.bias"
    assert all(ours[k].shape == checkpoint[k].shape for k in ours)


def test_forward_gives_pooled_features_and_logits() -> None:
    model = load_backbone("mobilenet_v2")
    assert not model.training
    with torch.no_grad():
        features, logits = model(torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(1)))
    assert features.shape == (2, 1280) and logits.shape == (2, 1000)
    assert bool((features >= 0).all())  # pooled ReLU6 activations, not normalised
    expected = model.classifier(features)
    assert torch.allclose(logits, expected, atol=1e-5)


def test_pretrained_weights_are_loaded() -> None:
    random_init = MobileNetV2().state_dict()["features.0.0.weight"]
    loaded = load_backbone("mobilenet_v2").state_dict()["features.0.0.weight"]
    assert not torch.equal(random_init, loaded)
