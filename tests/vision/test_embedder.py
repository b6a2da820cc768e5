"""The embedder without the real backbone: missing models, cropping and padding, a tiny stand-in model."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from stylelens.errors import NotReady
from stylelens.vision.embedder import Embedder
from stylelens.vision.model import OnnxModel

SIZE = 32
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def write_manifest(model_dir: Path, dim: int = 3) -> None:
    model_dir.mkdir(parents=True, exist_ok=True)
    manifest = {"input_size": SIZE, "mean": MEAN, "std": STD, "embedding_dim": dim, "num_classes": 2}
    (model_dir / "model.json").write_text(json.dumps(manifest))


def write_tiny_model(model_dir: Path) -> None:
    """A stand-in backbone: embedding = per-channel mean of the image, logits = a fixed 3x2 projection."""
    onnx = pytest.importorskip("onnx")
    helper, tensor = onnx.helper, onnx.TensorProto
    weights = helper.make_tensor("w", tensor.FLOAT, [3, 2], [1.0, 0.0, 0.0, 1.0, 1.0, 1.0])
    graph = helper.make_graph(
        [
            helper.make_node("GlobalAveragePool", ["image"], ["pooled"]),
            helper.make_node("Flatten", ["pooled"], ["embedding"]),
            helper.make_node("MatMul", ["embedding", "w"], ["logits"]),
        ],
        "tiny",
        [helper.make_tensor_value_info("image", tensor.FLOAT, ["N", 3, SIZE, SIZE])],
        [
            helper.make_tensor_value_info("embedding", tensor.FLOAT, ["N", 3]),
            helper.make_tensor_value_info("logits", tensor.FLOAT, ["N", 2]),
        ],
        [weights],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=9)
    write_manifest(model_dir)
    onnx.save(model, str(model_dir / "model.onnx"))


def test_missing_model_is_not_ready(tmp_path: Path) -> None:
    embedder = Embedder(tmp_path, threads=1)
    with pytest.raises(NotReady, match="stylelens models prepare"):
        embedder.embed([Image.new("RGB", (64, 64))])
    with pytest.raises(NotReady, match="stylelens models prepare"):
        _ = embedder.dim
    assert not embedder.loaded


def test_manifest_without_onnx_file_is_not_ready(tmp_path: Path) -> None:
    write_manifest(tmp_path / "mobilenet_v2")
    with pytest.raises(NotReady, match=r"model\.onnx"):
        Embedder(tmp_path).load()


def test_corrupt_onnx_file_is_not_ready(tmp_path: Path) -> None:
    write_manifest(tmp_path / "mobilenet_v2")
    (tmp_path / "mobilenet_v2" / "model.onnx").write_bytes(b"not a model")
    with pytest.raises(NotReady):
        Embedder(tmp_path).load()


def test_model_not_matching_its_manifest_is_not_ready(tmp_path: Path) -> None:
    write_tiny_model(tmp_path / "mobilenet_v2")
    manifest_path = tmp_path / "mobilenet_v2" / "model.json"
    manifest = json.loads(manifest_path.read_text())
    manifest_path.write_text(json.dumps({**manifest, "sha256": "0" * 64}))
    with pytest.raises(NotReady, match="does not match"):
        Embedder(tmp_path).load()


def test_preprocess_crops_to_the_garment_and_keeps_its_aspect(tmp_path: Path) -> None:
    write_manifest(tmp_path / "mobilenet_v2")
    photo = Image.new("RGB", (400, 300), (240, 240, 240))
    photo.paste((200, 30, 30), (100, 50, 150, 250))  # a tall 50x200 red garment off-centre
    mask = np.zeros((300, 400), dtype=bool)
    mask[50:250, 100:150] = True
    tensor = Embedder(tmp_path).preprocess(photo, mask)
    assert tensor.shape == (3, SIZE, SIZE) and tensor.dtype == np.float32
    rgb = (tensor.transpose(1, 2, 0) * STD + MEAN) * 255
    red = (rgb[..., 0] > 150) & (rgb[..., 1] < 100)
    rows, cols = np.flatnonzero(red.any(1)), np.flatnonzero(red.any(0))
    assert 1 <= rows[0] <= 3 and SIZE - 4 <= rows[-1] <= SIZE - 2  # fills the height less an 8% margin
    assert 5 <= len(cols) <= 10 and abs((cols[0] + cols[-1]) / 2 - (SIZE - 1) / 2) <= 1.5  # thin, centred
    assert np.allclose(rgb[SIZE // 2, 0], 240, atol=3)  # padded with the background colour


def test_preprocess_rejects_a_mask_of_another_size(tmp_path: Path) -> None:
    write_manifest(tmp_path / "mobilenet_v2")
    with pytest.raises(ValueError, match="mask"):
        Embedder(tmp_path).preprocess(Image.new("RGB", (40, 30)), np.ones((10, 10), dtype=bool))


def test_tiny_model_embeds_normalised_vectors_in_batches(tmp_path: Path) -> None:
    write_tiny_model(tmp_path / "mobilenet_v2")
    embedder = Embedder(tmp_path, threads=64)
    assert embedder.threads >= 1 and embedder.dim == 3
    photos = [Image.new("RGB", (50 + i, 40), (10 * i, 100, 200 - 5 * i)) for i in range(20)]
    vectors, logits = embedder.embed_with_logits(photos)
    assert vectors.shape == (20, 3) and vectors.dtype == np.float32 and logits.shape == (20, 2)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.allclose(embedder.embed(photos[3:4]), vectors[3:4], atol=1e-6)
    assert embedder.embed([]).shape == (0, 3)
    with pytest.raises(ValueError, match="masks"):
        embedder.embed(photos[:2], [None])


def test_many_photos_shared_out_to_single_threaded_sessions_give_the_same_numbers(tmp_path: Path) -> None:
    write_tiny_model(tmp_path / "mobilenet_v2")
    one, shared = Embedder(tmp_path, threads=1), Embedder(tmp_path, threads=2)
    shared.threads = 3  # the sharing whatever this machine's cores: 3 sessions, 3 batches of 16, 16 and 5 photos
    photos = [Image.new("RGB", (40 + i, 30 + i % 7), (7 * i, 90 + i, 250 - 6 * i)) for i in range(37)]
    masks: list[np.ndarray | None] = [None] * len(photos)
    masks[20] = np.zeros((30 + 20 % 7, 60), bool)
    masks[20][5:20, 10:40] = True
    vectors, logits = shared.embed_with_logits(photos, masks)
    expected = one.embed_with_logits(photos, masks)
    assert len(shared._solo) == 3 and one._solo == []  # one session with every thread for a single batch
    assert np.array_equal(vectors, expected[0]) and np.array_equal(logits, expected[1])  # and in the same order
    batches = [shared.preprocess_batch(photos[i : i + 4], masks[i : i + 4]) for i in range(0, 37, 4)]
    many = shared.predict_many(batches)
    assert len(many) == len(batches)
    for (embedding, classes), batch in zip(many, batches, strict=True):
        alone = shared._predict(batch)
        assert np.array_equal(embedding, alone[0]) and np.array_equal(classes, alone[1])
    sessions = shared._solo
    shared.embed(photos)
    assert shared._solo is sessions  # made once


class CountingModel(OnnxModel[int, int]):
    loads = 0

    def _load(self) -> None:
        CountingModel.loads += 1

    def _predict(self, inputs: int) -> int:
        return inputs + 1


def test_load_happens_once_across_threads(tmp_path: Path) -> None:
    model = CountingModel(tmp_path)
    threads = [threading.Thread(target=model.load) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert CountingModel.loads == 1 and model.loaded
    assert model.predict(41) == 42 and CountingModel.loads == 1


def test_serving_code_never_imports_torch() -> None:
    names = ("decode", "foreground", "colors", "model", "embedder")
    modules = ", ".join(f"stylelens.vision.{name}" for name in names)
    probe = f"import sys, {modules}; sys.exit(int(any(m in sys.modules for m in ('torch', 'onnx'))))"
    assert subprocess.run([sys.executable, "-c", probe], check=False).returncode == 0
