"""Catalog images analysed in worker processes, each running the models with one thread.

On a small machine the model's own threads leave the Python parts of the analysis (garment mask, colours,
preprocessing) on one core; two processes with one model thread each keep both cores busy with all of it.
A sync switches to the pool only once it has many images to analyse, so webhooks and small syncs do not pay
for starting processes. The workers build their analyser exactly as the service does (Services.analyser).
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from PIL import Image

if TYPE_CHECKING:
    from stylelens.config import Settings
    from stylelens.vision.analysis import Garment

_analyser: Any = None  # the worker process's analyser


def _start(settings_json: str) -> None:
    global _analyser
    from stylelens.config import Settings
    from stylelens.services import Services

    settings = Settings.model_validate_json(settings_json)
    settings.vision.threads = 1
    _analyser = Services(settings).analyser
    _analyser.embedder.load()


def _analyse(images: list[Image.Image], masks: list[npt.NDArray[np.bool_] | None]) -> list[list[Garment]]:
    return list(_analyser.analyse_batch(images, masks))


class AnalysisPool:
    """Has the same `analyse_batch` as GarmentAnalyser; splits each batch across the worker processes."""

    def __init__(self, settings: Settings, processes: int) -> None:
        context = multiprocessing.get_context("spawn")  # never fork a process that holds model threads
        self.processes = processes
        self._pool = ProcessPoolExecutor(
            processes, mp_context=context, initializer=_start, initargs=(settings.model_dump_json(),)
        )

    def analyse_batch(
        self, images: list[Image.Image], masks: list[npt.NDArray[np.bool_] | None] | None = None
    ) -> list[list[Garment]]:
        known = masks or [None] * len(images)
        size = -(-len(images) // self.processes)
        futures = [
            self._pool.submit(_analyse, images[i : i + size], known[i : i + size]) for i in range(0, len(images), size)
        ]
        return [garments for future in futures for garments in future.result()]

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
