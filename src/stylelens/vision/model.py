"""The shared machinery of every model the service runs: an ONNX Runtime session, loaded once, on the CPU.

Subclasses implement `_load` (read the model folder, open sessions with `_session`) and `_predict`. Callers
use `load()` (lazy, once, thread-safe; ends with a warm-up run so the first shopper does not pay for it) and
`predict()`, which loads on first use.
"""

from __future__ import annotations

import os
import threading
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Generic, TypeVar

import onnxruntime as ort

from stylelens.errors import NotReady

InputT = TypeVar("InputT")
OutputT = TypeVar("OutputT")

PREPARE_HINT = "run `stylelens models prepare`"


class OnnxModel(ABC, Generic[InputT, OutputT]):
    """A model backed by ONNX Runtime on the CPU, loaded lazily and shared by all request threads."""

    def __init__(self, model_dir: Path, threads: int = 2) -> None:
        self.model_dir = Path(model_dir)
        self.threads = max(1, min(int(threads), os.cpu_count() or 1))
        self._lock = threading.Lock()
        self._loaded = False

    @property
    def loaded(self) -> bool:
        """Whether the model is in memory and warmed up."""
        return self._loaded

    def load(self) -> None:
        """Open the model once (later calls return at once); raises NotReady when its files are missing."""
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            self._load()
            self._warm_up()
            self._loaded = True

    def predict(self, inputs: InputT) -> OutputT:
        """Run the model, loading it first if needed."""
        self.load()
        return self._predict(inputs)

    def require(self, *names: str) -> list[Path]:
        """The paths of the model's files, or NotReady naming the first missing one."""
        paths = [self.model_dir / name for name in names]
        for path in paths:
            if not path.is_file():
                raise NotReady(f"Model file {path} is missing: {PREPARE_HINT}.")
        return paths

    def _session(self, path: Path, threads: int | None = None) -> ort.InferenceSession:
        """An ONNX Runtime session on the CPU with this model's thread budget (or `threads`)."""
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or self.threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        # Idle intra-op threads would otherwise busy-wait for the next run, taking a core from the request's
        # other steps and the catalog sync's fetch threads on a small machine (benchmarks/ingest_throughput.py).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # ONNX Runtime raises its own untyped errors for unreadable files
            raise NotReady(f"Model file {path} cannot be loaded ({exc}): {PREPARE_HINT}.") from exc

    @abstractmethod
    def _load(self) -> None:
        """Read the model folder and open the sessions."""

    @abstractmethod
    def _predict(self, inputs: InputT) -> OutputT:
        """Run the loaded model."""

    def _warm_up(self) -> None:
        """One throw-away run after loading; subclasses with a cheap dummy input override this."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.model_dir)!r}, loaded={self._loaded})"
