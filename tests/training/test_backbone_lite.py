"""EfficientNet-Lite0, the alternative backbone: packaged weights, ONNX export that matches PyTorch, served."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")
pytest.importorskip("efficientnet_lite_pytorch")

from stylelens.training.backbones import BACKBONES, load_backbone, weights_path  # noqa: E402
from stylelens.training.export import PARITY_TOLERANCE, export_backbone, prepare_models  # noqa: E402
from stylelens.vision.embedder import Embedder  # noqa: E402

pytestmark = pytest.mark.export


@pytest.fixture(scope="module")
def lite_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_backbone("efficientnet_lite0", tmp_path_factory.mktemp("models")).parent


def test_weights_come_from_the_installed_package_and_are_loaded() -> None:
    path = weights_path(BACKBONES["efficientnet_lite0"])
    assert path.name == "efficientnet-lite0-57934424.pth"
    assert "site-packages" in path.parts or "dist-packages" in path.parts
    stem = load_backbone("efficientnet_lite0").state_dict()["net._conv_stem.weight"]
    assert torch.equal(stem, torch.load(path, map_location="cpu", weights_only=True)["_conv_stem.weight"])


def test_export_matches_torch_and_records_its_normalisation(lite_dir: Path) -> None:
    manifest = json.loads((lite_dir / "efficientnet_lite0" / "model.json").read_text())
    assert manifest["mean"] == manifest["std"] == [0.5, 0.5, 0.5]
    assert manifest["embedding_dim"] == 1280 and manifest["parity_max_abs_diff"] <= PARITY_TOLERANCE
    images = torch.rand(4, 3, 224, 224, generator=torch.Generator().manual_seed(4)) * 2 - 1
    with torch.no_grad():
        features, logits = load_backbone("efficientnet_lite0")(images)
    session = ort.InferenceSession(
        str(lite_dir / "efficientnet_lite0" / "model.onnx"), providers=["CPUExecutionProvider"]
    )
    for batch in (images[:1], images):
        got_features, got_logits = session.run(["embedding", "logits"], {"image": batch.numpy()})
        assert np.abs(got_features - features[: len(batch)].numpy()).max() <= PARITY_TOLERANCE
        assert np.abs(got_logits - logits[: len(batch)].numpy()).max() <= PARITY_TOLERANCE


def test_the_served_embedder_reads_it_with_its_own_normalisation(lite_dir: Path) -> None:
    embedder = Embedder(lite_dir, "efficientnet_lite0", threads=1)
    grey = Image.new("RGB", (64, 64), (128, 128, 128))
    assert abs(float(embedder.preprocess(grey).mean())) < 0.01  # (128/255 - 0.5) / 0.5, not ImageNet's stats
    vectors = embedder.embed([grey, Image.new("RGB", (64, 64), (200, 30, 30))])
    assert vectors.shape == (2, 1280) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_a_plain_prepare_does_not_export_it(tmp_path: Path) -> None:
    assert not BACKBONES["efficientnet_lite0"].by_default and BACKBONES["mobilenet_v2"].by_default
    with pytest.raises(KeyError, match="unknown backbone"):
        prepare_models(tmp_path, ["efficientnet_lite9"])
