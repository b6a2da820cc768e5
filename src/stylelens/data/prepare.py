"""Prepare a dataset from one source: decode and write every picture, report the skipped ones, check leakage.

`prepare_dataset` is what `stylelens data prepare` runs. Each step reports progress through a `Steps` factory
(the command line passes its rich progress bars; tests pass nothing)::

    report = prepare_dataset(ImageFolderSource(Path("photos")), Path("var/datasets/photos"), fix_leakage=True)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from stylelens.data.dedup import DEFAULT_THRESHOLD, DEFAULT_TOLERANCE, DuplicateReport, check_and_fix
from stylelens.data.manifest import MAX_SIDE, Dataset
from stylelens.data.sources.base import Candidate, Skipped, Source, split_for
from stylelens.data.writer import DatasetWriter
from stylelens.errors import StyleLensError

Steps = Callable[[str, int | None], AbstractContextManager[Callable[[int], None]]]


@contextmanager
def quiet_step(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A progress step that shows nothing."""
    yield lambda n: None


@dataclass
class PrepareReport:
    """What a prepare run did: counts per split, what it skipped and why, and the duplicate check."""

    root: Path
    added: int
    splits: dict[str, int]
    skipped: list[Skipped]
    duplicates: DuplicateReport
    seconds: dict[str, float] = field(default_factory=dict)


def prepare_dataset(
    source: Source,
    out: Path,
    *,
    name: str | None = None,
    task: str | None = None,
    seed: int = 0,
    overwrite: bool = False,
    threshold: int = DEFAULT_THRESHOLD,
    tolerance: float = DEFAULT_TOLERANCE,
    fix: bool = False,
    max_bytes: int = 15 * 1024 * 1024,
    max_pixels: int = 40_000_000,
    max_side: int | None = MAX_SIDE,
    steps: Steps = quiet_step,
) -> PrepareReport:
    """Write the source's pictures into a dataset at `out`, then check (and optionally fix) leakage."""
    timings: dict[str, float] = {}
    skipped: list[Skipped] = []
    started = time.perf_counter()
    writer = DatasetWriter(
        out, name=name or out.name, task=task or source.task, labels=source.labels, sources=[source.info],
        overwrite=overwrite, max_bytes=max_bytes, max_pixels=max_pixels, max_side=max_side,
    )  # fmt: skip
    with writer, steps(f"Writing {source.info.name}", source.total()) as advance:
        for candidate in source.candidates():
            if isinstance(candidate, Skipped):
                skipped.append(candidate)
            else:
                problem = _add(writer, candidate, source, seed)
                if problem is not None:
                    skipped.append(problem)
            advance(1)
    timings["write"] = time.perf_counter() - started
    started = time.perf_counter()
    dataset = Dataset.open(out)
    with steps("Checking duplicates and leakage", None):
        report = check_and_fix(dataset, threshold, tolerance, fix=fix)
    timings["check"] = time.perf_counter() - started
    return PrepareReport(
        root=out, added=writer.count, splits=dict(dataset.meta["splits"]), skipped=skipped,
        duplicates=report, seconds=timings,
    )  # fmt: skip


def _add(writer: DatasetWriter, candidate: Candidate, source: Source, seed: int) -> Skipped | None:
    """Add one candidate; a picture the decode path refuses (or a bad mask) becomes a Skipped, never an error."""
    split = candidate.split or split_for(candidate.group or candidate.origin, seed)
    try:
        writer.add(
            candidate.image, split=split, label=candidate.label, mask=candidate.mask, group=candidate.group,
            source=source.info.name, licence=candidate.licence or source.info.licence,
            attributes=candidate.attributes, id=candidate.id,
        )  # fmt: skip
    except StyleLensError as exc:
        return Skipped(candidate.origin, exc.detail)
    except OSError as exc:
        return Skipped(candidate.origin, f"cannot read the picture: {exc}")
    return None
