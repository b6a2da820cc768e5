"""The garment segmenter on a tiny synthetic subset: train, resume, export with parity, register, serve."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

torch = pytest.importorskip("torch")
pytest.importorskip("onnxruntime")

from stylelens.cli import app  # noqa: E402
from stylelens.config import Settings, StorageSettings, TrainingSettings, VisionSettings, get_settings  # noqa: E402
from stylelens.data.synthetic import write_dataset  # noqa: E402
from stylelens.training.common import Checkpointer, TrainConfig  # noqa: E402
from stylelens.training.export import PARITY_TOLERANCE  # noqa: E402
from stylelens.training.registry import ModelRegistry  # noqa: E402
from stylelens.training.segmenter import iou_scores, train_segmenter  # noqa: E402
from stylelens.training.segmenter_data import augment  # noqa: E402
from stylelens.training.segmenter_export import check_parity, register_segmenter  # noqa: E402
from stylelens.training.segmenter_net import GarmentSegNet  # noqa: E402
from stylelens.vision.foreground import garment_mask, plain_background_mask  # noqa: E402
from stylelens.vision.segmenter import GarmentSegmenter, active_segmenter, foreground_mask  # noqa: E402

SIDE = 64  # network input: tiny, so a CPU epoch takes a second or two


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dozen composites (12 products, one photo each) at 64 px: 9 train, 1 val, 2 test."""
    root = tmp_path_factory.mktemp("segdata") / "synthetic"
    write_dataset(root, products=12, per_product=1, side=SIDE, seed=0)
    return root


def _settings(tmp: Path, tracking: bool = False) -> Settings:
    return Settings(
        storage=StorageSettings(data_dir=tmp / "data"),
        vision=VisionSettings(models_dir=tmp / "models"),
        training=TrainingSettings(tracking=tracking, threads=1),
    )


def _config(dataset: Path, out: Path, epochs: int, resume: bool = False) -> TrainConfig:
    return TrainConfig(
        dataset=str(dataset), epochs=epochs, seed=5, batch_size=4, lr=1e-3, out=out, resume=resume, patience=0,
        extra={"input_size": SIDE, "warmup_steps": 2},
    )  # fmt: skip


def test_iou_is_pooled_per_class_and_miou_is_their_mean() -> None:
    scores = iou_scores(np.array([90.0, 5.0]), np.array([100.0, 10.0]))
    assert scores == pytest.approx({"iou_background": 0.9, "iou_garment": 0.5, "miou": 0.7})


def test_augmentation_keeps_masks_aligned_and_is_seeded() -> None:
    images = torch.full((6, 3, 64, 64), 128, dtype=torch.uint8)
    masks = torch.zeros((6, 1, 64, 64), dtype=torch.uint8)
    for i in range(6):  # a magenta garment at a different place in each photo
        images[i, :, 8 + 4 * i : 40 + 4 * i, 10:50] = torch.tensor([255, 0, 255], dtype=torch.uint8).view(3, 1, 1)
        masks[i, :, 8 + 4 * i : 40 + 4 * i, 10:50] = 1
    x, y = augment(images, masks, 48, torch.Generator().manual_seed(1))
    again = augment(images, masks, 48, torch.Generator().manual_seed(1))
    assert torch.equal(x, again[0]) and torch.equal(y, again[1])
    assert x.shape == (6, 3, 48, 48) and set(y.unique().tolist()) <= {0.0, 1.0}
    looks_magenta = (x[:, 0] - x[:, 1]) > 0.25  # still true after brightness, contrast and saturation jitter
    agreement = (looks_magenta == y[:, 0].bool()).float().mean().item()
    assert agreement > 0.97, "the mask no longer covers the garment after augmentation"
    assert not torch.equal(y, torch.nn.functional.interpolate(masks.float(), size=48))  # it did move things


def test_train_resume_export_parity_register_and_serve(tiny_dataset: Path, tmp_path: Path) -> None:
    settings = _settings(tmp_path, tracking=True)
    straight = train_segmenter(settings, _config(tiny_dataset, tmp_path / "straight", 2), command="test")

    def crash(epoch: int, scores: dict[str, float]) -> None:
        raise KeyboardInterrupt  # the machine went away after the first epoch's checkpoint

    with pytest.raises(KeyboardInterrupt):
        train_segmenter(settings, _config(tiny_dataset, tmp_path / "resumed", 2), command="test", on_epoch=crash)
    first_run_id = Checkpointer(tmp_path / "resumed" / "checkpoints").latest()["run_id"]  # type: ignore[index]
    resumed = train_segmenter(settings, _config(tiny_dataset, tmp_path / "resumed", 2, resume=True), command="test")
    assert (resumed.epochs, straight.epochs) == (2, 2)
    weights = [Checkpointer(tmp_path / run / "checkpoints").latest()["model"] for run in ("straight", "resumed")]
    for key, value in weights[0].items():
        assert torch.equal(value, weights[1][key]), f"resumed run differs from an uninterrupted one at {key}"
    assert resumed.test == straight.test and 0.0 <= resumed.test["miou"] <= 1.0
    assert resumed.run_id == first_run_id is not None  # the resumed run's metrics go on in the same MLflow run
    assert resumed.parity <= PARITY_TOLERANCE

    registry = ModelRegistry(settings.registry_dir)
    version = register_segmenter(registry, resumed.onnx_path.parent, activate=True)
    card = (settings.registry_dir / "segmenter" / version / "card.md").read_text()
    assert "synthetic composites only" in card and "test_miou" in card
    assert re.search(r"\| machine \| \S+, \d+ CPU cores, torch ", card), "the card names the machine it was trained on"
    assert registry.active("segmenter").version == version  # type: ignore[union-attr]

    photo = Image.new("RGB", (90, 70), (200, 180, 160))
    served = GarmentSegmenter(settings.models_dir)
    mask = served.mask(photo)
    assert mask.shape == (70, 90) and mask.dtype == bool
    model = GarmentSegNet(pretrained=False, width=64)
    model.load_state_dict(Checkpointer(tmp_path / "resumed" / "checkpoints").best()["model"])  # type: ignore[index]
    assert check_parity(model, served.onnx_path, SIDE) <= PARITY_TOLERANCE

    # Serving's foreground step: a plain backdrop stays with the colour model; no active version keeps GrabCut.
    packshot = np.full((80, 80, 3), 235, np.uint8)
    packshot[20:60, 25:55] = (180, 30, 40)
    active = active_segmenter(settings.models_dir)
    assert active is not None and active_segmenter(tmp_path / "no-models") is None
    np.testing.assert_array_equal(foreground_mask(packshot, active), plain_background_mask(packshot))
    busy = np.random.default_rng(0).integers(0, 256, (80, 80, 3), dtype=np.uint8)
    np.testing.assert_array_equal(foreground_mask(busy, None), garment_mask(busy))


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("STYLELENS_STORAGE__DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("STYLELENS_VISION__MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("STYLELENS_TRAINING__TRACKING", "false")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_cli_synthesises_trains_registers_and_activates(cli_env: Path) -> None:
    runner = CliRunner()
    made = runner.invoke(app, ["data", "synth", "--products", "12", "--per-product", "1", "--side", "64"])
    assert made.exit_code == 0, made.output
    trained = runner.invoke(app, ["train", "segmenter", "--epochs", "1", "--input-size", "64", "--batch-size", "4",
                                  "--activate"])  # fmt: skip
    assert trained.exit_code == 0, trained.output
    assert "mIoU" in trained.output and "registered segmenter v1 (active)" in trained.output
    meta = json.loads((cli_env / "models" / "registry" / "segmenter" / "v1" / "meta.json").read_text())
    synth, train = meta["card"]["command"].splitlines()  # both commands that rebuild this model
    assert synth == "stylelens data synth --name synthetic-garments --per-product 1 --products 12 --seed 0 --side 64"
    assert train.startswith("stylelens train segmenter --dataset synthetic-garments --epochs 1 --seed 0")
    assert 0.0 <= meta["metrics"]["test_miou"] <= 1.0
    refused = runner.invoke(app, ["train", "segmenter", "--dataset", str(cli_env / "nowhere"), "--epochs", "1"])
    assert refused.exit_code == 1 and "dataset.json is missing" in refused.output
