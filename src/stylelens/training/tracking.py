"""Experiment tracking: every training run's parameters, per-epoch metrics and files, recorded with MLflow.

By default runs go to a local SQLite store under `<data_dir>/mlruns` (browse it with
`mlflow ui --backend-store-uri sqlite:///var/mlruns/mlflow.db`). Set STYLELENS_TRAINING__TRACKING_URI to an
MLflow server, or to an Azure ML workspace's MLflow URI (`azureml://...`, with the azureml-mlflow plugin
installed), to record runs there instead. STYLELENS_TRAINING__TRACKING=false records nothing.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from stylelens.config import Settings

log = logging.getLogger(__name__)


@contextmanager
def _quiet_dependencies() -> Iterator[None]:
    """MLflow's SQL store trips SQLAlchemy 2.1 deprecation warnings; they are not ours to fix (tests use -W error)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", UserWarning)
        yield


class Tracker:
    """One tracked training run; use as a context manager. Without tracking it only remembers the metrics.

    `run_id` continues an earlier run (a resumed training), so its metrics stay in one place.
    """

    def __init__(
        self,
        experiment: str,
        settings: Settings,
        params: Mapping[str, Any] | None = None,
        run_id: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        self.experiment = experiment
        self.settings = settings
        self.params = dict(params or {})
        self.tags = dict(tags or {})
        self.enabled = settings.training.tracking
        self.uri = settings.tracking_uri if self.enabled else None
        self.run_id: str | None = run_id
        self.history: list[tuple[int | None, dict[str, float]]] = []
        self._client: Any = None
        self._resumed = run_id is not None

    def __enter__(self) -> Tracker:
        if not self.enabled:
            return self
        with _quiet_dependencies():
            from mlflow.tracking import MlflowClient

            assert self.uri is not None
            self._prepare_local_store(self.uri)
            self._client = MlflowClient(tracking_uri=self.uri)
            experiment_id = self._experiment_id()
            if self.run_id is None:
                run = self._client.create_run(experiment_id, tags=self.tags, run_name=self.tags.get("name"))
                self.run_id = run.info.run_id
                self._log_params(self.params)
            else:
                self._client.update_run(self.run_id, status="RUNNING")
        log.info("tracking run %s of experiment %r at %s", self.run_id, self.experiment, self.uri)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._client is None or self.run_id is None:
            return
        status = "FINISHED" if kind is None else ("KILLED" if kind is KeyboardInterrupt else "FAILED")
        with _quiet_dependencies():
            self._client.set_terminated(self.run_id, status=status)

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        """Record metric values (e.g. one epoch's val_acc)."""
        values = {k: float(v) for k, v in metrics.items()}
        self.history.append((step, values))
        if self._client is None:
            return
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        batch = [Metric(k, v, now, step or 0) for k, v in values.items()]
        with _quiet_dependencies():
            self._client.log_batch(self.run_id, metrics=batch)

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Record more parameters after the start (e.g. the network's size)."""
        self.params.update(params)
        if self._client is not None:
            with _quiet_dependencies():
                self._log_params(params)

    def set_tags(self, tags: Mapping[str, str]) -> None:
        self.tags.update(tags)
        if self._client is not None:
            with _quiet_dependencies():
                for key, value in tags.items():
                    self._client.set_tag(self.run_id, key, value)

    def log_artifact(self, path: Path, folder: str | None = None) -> None:
        """Attach a file (a model card, an ONNX model, a plot) to the run."""
        if self._client is not None:
            with _quiet_dependencies():
                self._client.log_artifact(self.run_id, str(path), folder)

    def _log_params(self, params: Mapping[str, Any]) -> None:
        from mlflow.entities import Param

        if self._resumed:  # MLflow refuses to change a logged parameter; a resumed run keeps the first ones
            return
        items = [Param(k, str(v)[:6000]) for k, v in params.items()]
        for start in range(0, len(items), 100):
            self._client.log_batch(self.run_id, params=items[start : start + 100])

    def _experiment_id(self) -> str:
        found = self._client.get_experiment_by_name(self.experiment)
        if found is not None:
            return str(found.experiment_id)
        artifacts = self._artifact_location()
        return str(self._client.create_experiment(self.experiment, artifact_location=artifacts))

    def _artifact_location(self) -> str | None:
        """Beside a local SQLite store, artifacts go to its folder's `artifacts/`; a server chooses its own."""
        if self.uri and self.uri.startswith("sqlite:///"):
            return (Path(self.uri.removeprefix("sqlite:///")).parent / "artifacts" / self.experiment).as_uri()
        return None

    @staticmethod
    def _prepare_local_store(uri: str) -> None:
        if uri.startswith("sqlite:///"):
            Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
