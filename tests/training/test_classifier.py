"""The garment classifier end to end on a tiny Fashion-MNIST subset: train, resume, export, register, compare.

Everything runs on 512 training pictures with a width-8 network, so the whole file takes well under a minute;
the accuracy goal itself is measured by benchmarks/train_classifier.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

torch = pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")
pytest.importorskip("mlflow")

from stylelens.catalog.fashion_mnist import load_fashion_mnist  # noqa: E402
from stylelens.config import Settings, StorageSettings, TrainingSettings, get_settings  # noqa: E402
from stylelens.errors import NotReady  # noqa: E402
from stylelens.training.classifier import EpochReport, train_classifier  # noqa: E402
from stylelens.training.classifier_recipe import ClassifierResult, classifier_config  # noqa: E402
from stylelens.training.common import Checkpointer  # noqa: E402
from stylelens.training.registry import ModelRegistry, active_model  # noqa: E402

try:
    load_fashion_mnist("test")
except NotReady:  # pragma: no cover - the Debian package is installed by `make test`
    pytest.skip("Fashion-MNIST is not installed", allow_module_level=True)

TINY = {"limit": 512, "epochs": 2, "width": 8, "batch_size": 32, "threads": 1, "lr": 0.1, "precision": "fp32"}


def onnx_accuracy(model: Path, limit: int | None = None) -> float:
    """Test accuracy of an ONNX file, computed here without any StyleLens code."""
    images, labels = load_fashion_mnist("test")
    images, labels = images[:limit], labels[:limit]
    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    (logits,) = session.run(["logits"], {"image": images[:, None].astype(np.float32) / 255})
    return float((logits.argmax(1) == labels).mean())


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(storage=StorageSettings(data_dir=tmp_path_factory.mktemp("data")))


@pytest.fixture(scope="module")
def first(settings: Settings) -> ClassifierResult:
    """One tracked run, registered as v1 (and activated, being the first)."""
    return train_classifier(classifier_config("fashion-mnist", **TINY), settings)


def test_training_exports_a_model_that_matches_torch_and_its_reported_accuracy(first: ClassifierResult) -> None:
    assert first.epochs_run == 2 and first.best_epoch in (1, 2)
    assert first.parity <= 1e-4
    assert first.test_acc == pytest.approx(onnx_accuracy(first.onnx_path), abs=1e-9)
    assert first.test_acc > 0.4  # 10 classes: chance is 0.1; even 2 tiny epochs learn something
    classes = json.loads((first.out_dir / "classes.json").read_text())
    assert classes["labels"][0] == "T-shirt/top" and classes["input"]["shape"] == ["N", 1, 28, 28]


def test_the_run_is_tracked_in_mlflow(first: ClassifierResult, settings: Settings) -> None:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(settings.tracking_uri)
    run = client.get_run(first.run_id)
    assert run.info.status == "FINISHED" and run.data.params["extra.width"] == "8"
    assert [m.step for m in client.get_metric_history(first.run_id, "val_acc")][:2] == [1, 2]
    assert run.data.metrics["test_acc"] == pytest.approx(first.test_acc)
    assert {a.path for a in client.list_artifacts(first.run_id)} >= {"card.md", "model.onnx"}


def test_the_model_is_registered_with_its_card_and_served(first: ClassifierResult, settings: Settings) -> None:
    registry = ModelRegistry(settings.registry_dir)
    v1 = registry.get("classifier", "v1")
    assert first.version == "v1" and v1.metrics["test_acc"] == pytest.approx(first.test_acc)
    card = v1.card_path.read_text()
    assert "## Intended use" in card and "## Limits" in card and "Fashion-MNIST" in card
    assert "stylelens train classifier --dataset fashion-mnist --epochs 2 --seed 0" in card and "--limit 512" in card
    assert active_model(settings, "classifier") == v1.onnx_path
    assert v1.onnx_path.read_bytes() == first.onnx_path.read_bytes()


def test_same_seed_same_model_and_resume_gives_the_uninterrupted_result(tmp_path: Path) -> None:
    settings = Settings(storage=StorageSettings(data_dir=tmp_path), training=TrainingSettings(tracking=False))
    whole = train_classifier(classifier_config("fashion-mnist", **TINY, out=tmp_path / "a", register=False), settings)

    def crash_after_first_epoch(report: EpochReport) -> None:
        if report.epoch == 1:
            raise KeyboardInterrupt

    interrupted = classifier_config("fashion-mnist", **TINY, out=tmp_path / "b", register=False)
    with pytest.raises(KeyboardInterrupt):
        train_classifier(interrupted, settings, on_epoch=crash_after_first_epoch)
    assert Checkpointer(tmp_path / "b" / "checkpoints").epochs() == [1]
    interrupted.resume = True
    resumed = train_classifier(interrupted, settings)
    assert [h["epoch"] for h in resumed.history] == [1, 2]
    a = Checkpointer.load(tmp_path / "a" / "checkpoints" / "epoch-0002.pt")["model"]
    b = Checkpointer.load(tmp_path / "b" / "checkpoints" / "epoch-0002.pt")["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert resumed.test_acc == whole.test_acc and resumed.val_acc == whole.val_acc


@pytest.fixture(scope="module")
def cli_env(settings: Settings, first: ClassifierResult) -> Iterator[None]:
    patch = pytest.MonkeyPatch()
    patch.setenv("STYLELENS_STORAGE__DATA_DIR", str(settings.storage.data_dir))
    get_settings.cache_clear()
    yield
    patch.undo()
    get_settings.cache_clear()


def test_cli_trains_v2_activates_compares_and_rolls_back(cli_env: None, settings: Settings, tmp_path: Path) -> None:
    from stylelens.cli import app

    runner = CliRunner()
    args = ["train", "classifier", "--dataset", "fashion-mnist", "--epochs", "1", "--width", "6", "--limit", "256"]
    trained = runner.invoke(app, [*args, "--threads", "1", "--seed", "1", "--precision", "fp32"])
    assert trained.exit_code == 0, trained.output
    assert "registered classifier v2" in trained.output and "test accuracy" in trained.output
    registry = ModelRegistry(settings.registry_dir)
    assert registry.active("classifier").version == "v1"  # a new version is not served until activated
    assert registry.get("classifier", "v2").meta["parent"] == "v1"

    activated = runner.invoke(app, ["models", "activate", "classifier", "v2"])
    assert (
        activated.exit_code == 0 and active_model(settings, "classifier") == registry.get("classifier", "v2").onnx_path
    )
    listed = runner.invoke(app, ["models", "list", "classifier"])
    assert listed.exit_code == 0 and "v1" in listed.output and "v2" in listed.output

    out = tmp_path / "report"
    compared = runner.invoke(
        app,
        [
            "eval",
            "compare",
            "classifier",
            "v1",
            "v2",
            "--dataset",
            "fashion-mnist",
            "--limit",
            "2000",
            "--out",
            str(out),
        ],
    )
    assert compared.exit_code == 0, compared.output
    summary = json.loads((out / "compare.json").read_text())
    for version in ("v1", "v2"):
        expected = onnx_accuracy(registry.get("classifier", version).onnx_path, limit=2000)
        assert summary["versions"][version]["accuracy"] == pytest.approx(expected, abs=1e-9)
    report = (out / "compare.md").read_text()
    assert f"| accuracy | {summary['versions']['v1']['accuracy']:.4f} |" in report
    assert (out / "confusion.png").stat().st_size > 10_000 and (out / "per_class.png").stat().st_size > 5_000

    rolled = runner.invoke(app, ["models", "rollback", "classifier"])
    assert rolled.exit_code == 0 and "active classifier is v1" in rolled.output
    assert active_model(settings, "classifier") == registry.get("classifier", "v1").onnx_path
    unknown = runner.invoke(app, ["models", "activate", "classifier", "v9"])
    assert unknown.exit_code == 1 and "no classifier version 'v9'" in unknown.output
