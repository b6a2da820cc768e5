"""What every StyleLens training run shares: seeding, the device, checkpoints to resume from, early stopping.

A run is reproducible from its `TrainConfig` and seed: `seed_everything` fixes Python's, NumPy's and torch's
generators, and a checkpoint carries all their states (`rng_state`), so a run resumed from epoch k gives the
same weights as one that never stopped.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import random
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

_CHECKPOINT = re.compile(r"^epoch-(\d{4})\.pt$")


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return a torch generator of its own for shuffling and augmentation."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    return torch.Generator().manual_seed(seed)


def machine_summary() -> str:
    """The machine a model was trained on, as its card records it: CPU, cores, torch and its thread count."""
    threads = torch.get_num_threads()
    return f"{platform.machine()}, {os.cpu_count()} CPU cores, torch {torch.__version__}, {threads} threads"


def pick_device(prefer: str | None = None) -> torch.device:
    """The device to train on: `prefer` if given, else CUDA when present, else the CPU."""
    if prefer:
        return torch.device(prefer)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def set_threads(threads: int | None) -> None:
    """Cap torch's intra-op threads (the machine is shared; benchmarks pass the core count)."""
    if threads:
        torch.set_num_threads(threads)


def rng_state(generator: torch.Generator | None = None) -> dict[str, Any]:
    """Every random generator's state, to store in a checkpoint."""
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    if generator is not None:
        state["generator"] = generator.get_state()
    return state


def restore_rng(state: dict[str, Any], generator: torch.Generator | None = None) -> None:
    """Put every random generator back where `rng_state` found it."""
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    if generator is not None and "generator" in state:
        generator.set_state(state["generator"])


class Checkpointer:
    """Saves a training state each epoch as `epoch-NNNN.pt` in one folder, and finds the latest to resume.

    Files are written atomically, so a run killed mid-save leaves the previous checkpoint usable. Only the
    newest `keep` epochs stay on disk; `save(..., best=True)` also keeps a copy as `best.pt`.
    """

    def __init__(self, directory: Path, keep: int = 2) -> None:
        self.directory = Path(directory)
        self.keep = max(1, keep)

    def save(self, state: dict[str, Any], epoch: int, best: bool = False) -> Path:
        """Write the state of the run after `epoch` (1-based) and return its file."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"epoch-{epoch:04d}.pt"
        _save_atomic({**state, "epoch": epoch}, path)
        if best:
            _save_atomic({**state, "epoch": epoch}, self.directory / "best.pt")
        for old in self.epochs()[: -self.keep]:
            (self.directory / f"epoch-{old:04d}.pt").unlink(missing_ok=True)
        return path

    def epochs(self) -> list[int]:
        """The epochs that have a checkpoint, oldest first."""
        if not self.directory.is_dir():
            return []
        found = (_CHECKPOINT.match(p.name) for p in self.directory.iterdir())
        return sorted(int(m.group(1)) for m in found if m)

    def latest(self) -> dict[str, Any] | None:
        """The newest saved state (with its "epoch"), or None when the run has not saved one yet."""
        epochs = self.epochs()
        return self.load(self.directory / f"epoch-{epochs[-1]:04d}.pt") if epochs else None

    def best(self) -> dict[str, Any] | None:
        """The state saved with best=True, or None."""
        path = self.directory / "best.pt"
        return self.load(path) if path.is_file() else None

    @staticmethod
    def load(path: Path) -> dict[str, Any]:
        # weights_only=False: our own files carry RNG states (tuples, numpy arrays), not just tensors.
        state: dict[str, Any] = torch.load(path, map_location="cpu", weights_only=False)
        return state


def _save_atomic(state: dict[str, Any], path: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(fd)
    try:
        torch.save(state, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class EarlyStopping:
    """Stops training when the watched validation metric has not improved for `patience` epochs (0: never)."""

    def __init__(self, patience: int, mode: Literal["max", "min"] = "max", min_delta: float = 0.0) -> None:
        if mode not in ("max", "min"):
            raise ValueError(f"mode must be 'max' or 'min', not {mode!r}")
        self.patience = patience
        self.mode = mode
        self.min_delta = min_delta
        self.best: float | None = None
        self.bad_epochs = 0
        self.improved = False

    def step(self, value: float) -> bool:
        """Record one epoch's value; True when training should stop. `improved` says if this was a new best."""
        sign = 1.0 if self.mode == "max" else -1.0
        self.improved = self.best is None or sign * (value - self.best) > self.min_delta
        if self.improved:
            self.best = value
            self.bad_epochs = 0
        else:
            self.bad_epochs += 1
        return self.patience > 0 and self.bad_epochs >= self.patience

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "bad_epochs": self.bad_epochs}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best = state["best"]
        self.bad_epochs = state["bad_epochs"]


@dataclass
class TrainConfig:
    """What a training command was asked to do; logged as the run's parameters and written in the model card."""

    dataset: str
    epochs: int
    seed: int = 0
    batch_size: int = 128
    lr: float = 0.01
    weight_decay: float = 5e-4
    patience: int = 5  # epochs without a better validation score before stopping; 0: never stop early
    out: Path | None = None  # checkpoints and exports; None: settings.storage.data_dir / "runs" / <kind>
    resume: bool = False
    threads: int | None = None  # torch threads; None: settings.training.threads
    device: str | None = None  # None: CUDA when present, else the CPU
    limit: int | None = None  # use only the first N training images (tests, quick trials)
    register: bool = True  # put the exported model in the registry
    extra: dict[str, Any] = field(default_factory=dict)  # model-specific knobs (width, augmentation, ...)

    def params(self) -> dict[str, Any]:
        """Flat parameters for the tracker (no nested values, paths as strings)."""
        flat = {k: v for k, v in dataclasses.asdict(self).items() if k != "extra"}
        flat.update({f"extra.{k}": v for k, v in self.extra.items()})
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in flat.items()}
