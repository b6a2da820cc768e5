"""Seeding, checkpoints and early stopping: what makes a training run reproducible and resumable."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from stylelens.training.common import (  # noqa: E402
    Checkpointer,
    EarlyStopping,
    TrainConfig,
    pick_device,
    restore_rng,
    rng_state,
    seed_everything,
)


def test_same_seed_gives_the_same_numbers() -> None:
    first = seed_everything(3)
    a = (torch.rand(4), torch.rand(4, generator=first))
    second = seed_everything(3)
    b = (torch.rand(4), torch.rand(4, generator=second))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    seed_everything(4)
    assert not torch.equal(torch.rand(4), a[0])


def test_rng_state_round_trip_continues_the_same_stream() -> None:
    generator = seed_everything(0)
    saved = rng_state(generator)
    expected = torch.rand(3), torch.rand(3, generator=generator)
    seed_everything(99)
    restore_rng(saved, generator)
    assert torch.equal(torch.rand(3), expected[0]) and torch.equal(torch.rand(3, generator=generator), expected[1])


def test_pick_device_defaults_to_what_is_there() -> None:
    assert pick_device().type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert pick_device("cpu") == torch.device("cpu")


def test_checkpointer_keeps_the_latest_and_the_best(tmp_path: Path) -> None:
    checkpoints = Checkpointer(tmp_path / "ckpt", keep=2)
    assert checkpoints.latest() is None and checkpoints.best() is None
    for epoch in (1, 2, 3):
        checkpoints.save({"weights": torch.full((2,), float(epoch))}, epoch, best=epoch == 2)
    assert checkpoints.epochs() == [2, 3]
    latest = checkpoints.latest()
    assert latest is not None and latest["epoch"] == 3 and torch.equal(latest["weights"], torch.full((2,), 3.0))
    best = checkpoints.best()
    assert best is not None and best["epoch"] == 2
    assert not [p for p in (tmp_path / "ckpt").iterdir() if p.name.startswith(".")]  # no half-written files


@pytest.mark.parametrize(
    ("mode", "values", "stops_at"),
    [("max", [0.5, 0.6, 0.6, 0.7, 0.69], None), ("max", [0.5, 0.6, 0.6, 0.59, 0.58], 3), ("min", [3, 2, 2.5, 2.1], 3)],
)
def test_early_stopping(mode: str, values: list[float], stops_at: int | None) -> None:
    stopper = EarlyStopping(patience=2, mode=mode)  # type: ignore[arg-type]
    stopped = [i for i, v in enumerate(values) if stopper.step(v)]
    assert (stopped[0] if stopped else None) == stops_at


def test_early_stopping_resumes_from_its_state() -> None:
    stopper = EarlyStopping(patience=2)
    stopper.step(0.9)
    stopper.step(0.8)
    resumed = EarlyStopping(patience=2)
    resumed.load_state_dict(stopper.state_dict())
    assert resumed.step(0.85) is True and resumed.best == 0.9
    assert EarlyStopping(patience=0).step(0.1) is False


def test_train_config_params_are_flat() -> None:
    config = TrainConfig(dataset="fashion-mnist", epochs=3, out=Path("/tmp/x"), extra={"width": 16})
    params = config.params()
    assert params["out"] == "/tmp/x" and params["extra.width"] == 16 and "extra" not in params
