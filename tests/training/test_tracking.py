"""Runs are recorded in a local MLflow store by default: parameters, per-epoch metrics, files; resumable."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("mlflow")

from stylelens.config import Settings, StorageSettings, TrainingSettings  # noqa: E402
from stylelens.training.tracking import Tracker  # noqa: E402


def test_a_run_is_recorded_in_the_local_store_and_can_be_continued(tmp_path: Path) -> None:
    from mlflow.tracking import MlflowClient

    settings = Settings(storage=StorageSettings(data_dir=tmp_path))
    assert settings.tracking_uri == f"sqlite:///{tmp_path.resolve()}/mlruns/mlflow.db"
    card = tmp_path / "card.md"
    card.write_text("# card")
    with Tracker("classifier", settings, params={"epochs": 2, "out": tmp_path}) as tracker:
        tracker.log_metrics({"val_acc": 0.5}, step=1)
        tracker.log_artifact(card)
    with Tracker("classifier", settings, run_id=tracker.run_id) as again:
        again.log_metrics({"val_acc": 0.75}, step=2)
    client = MlflowClient(settings.tracking_uri)
    run = client.get_run(tracker.run_id)
    assert run.info.status == "FINISHED" and run.data.params == {"epochs": "2", "out": str(tmp_path)}
    assert [(m.step, m.value) for m in client.get_metric_history(tracker.run_id, "val_acc")] == [(1, 0.5), (2, 0.75)]
    assert [a.path for a in client.list_artifacts(tracker.run_id)] == ["card.md"]
    assert (tmp_path / "mlruns" / "mlflow.db").is_file()
    assert any((tmp_path / "mlruns" / "artifacts").rglob("card.md"))


def test_a_failed_run_is_marked_failed(tmp_path: Path) -> None:
    from mlflow.tracking import MlflowClient

    settings = Settings(storage=StorageSettings(data_dir=tmp_path))
    with pytest.raises(RuntimeError), Tracker("classifier", settings) as tracker:
        raise RuntimeError("diverged")
    assert MlflowClient(settings.tracking_uri).get_run(tracker.run_id).info.status == "FAILED"


def test_tracking_off_records_nothing_but_keeps_the_history(tmp_path: Path) -> None:
    settings = Settings(storage=StorageSettings(data_dir=tmp_path), training=TrainingSettings(tracking=False))
    with Tracker("classifier", settings, params={"a": 1}) as tracker:
        tracker.log_metrics({"val_acc": 0.5}, step=1)
    assert tracker.run_id is None and tracker.history == [(1, {"val_acc": 0.5})]
    assert not (tmp_path / "mlruns").exists()
