"""Where one photo's analysis spends its time: each step run on its own, in order, timed (median of repeats).

Shared by search_latency.py and analysis_latency.py; the steps are those `GarmentAnalyser.analyse_photo` takes,
run one after the other here (the analyser overlaps some of them on helper threads).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np

from stylelens.recommend.search import WORK_SIDE
from stylelens.vision import colors, foreground, patterns, person, regions, shape
from stylelens.vision.analysis import FACE_SIDE, GarmentAnalyser
from stylelens.vision.decode import decode_photo
from stylelens.vision.faces import find_faces

MODELS = ("face detector", "pose model", "backbone")


def stage_table(analyser: GarmentAnalyser, photo: bytes, repeat: int) -> list[tuple[str, float]]:
    """(step, median ms) for each step of reading `photo`, in the order the analyser takes them."""

    def decode() -> object:
        return decode_photo(photo, max_bytes=1 << 26, max_pixels=1 << 26, work_side=WORK_SIDE)

    image, _ = decode_photo(photo, max_bytes=1 << 26, max_pixels=1 << 26, work_side=WORK_SIDE)
    rgb = np.asarray(image)
    reduced = foreground.reduce_photo(rgb)

    def first_look() -> object:
        small = foreground.reduce_photo(rgb)
        return foreground.is_blank(rgb, small), person.might_show_person(*small)

    steps: list[tuple[str, Callable[[], object]]] = [
        ("decode at working size", decode),
        ("small copy, blank test, skin look", first_look),
    ]
    gated = person.might_show_person(*reduced)
    faces = analyser._faces(image) if gated else []
    reading = analyser.persons.find(rgb) if faces and analyser.persons is not None else None
    if gated:
        steps.append(("face detector", lambda: find_faces(image, FACE_SIDE)))
    if reading is not None and analyser.persons is not None:
        steps.append(("pose model", lambda: analyser.persons.find(rgb)))  # type: ignore[union-attr]
        steps.append(("garment regions from the pose", lambda: regions.person_regions(rgb, reading, faces)))
        masks = [r.mask for r in regions.person_regions(rgb, reading, faces)]
    else:
        steps.append(("garment mask", lambda: foreground.garment_mask(rgb, reduced)))
        masks = [foreground.garment_mask(rgb, reduced)]
    embedder = analyser.embedder
    batch = np.stack([embedder.preprocess(image, m) for m in masks])
    steps += [
        (f"crops for the backbone (x{len(masks)})", lambda: [embedder.preprocess(image, m) for m in masks]),
        (f"backbone (x{len(masks)}, one batch)", lambda: embedder.predict(batch)),
        (f"colours (x{len(masks)})", lambda: [colors.garment_colors(rgb, m) for m in masks]),
        (f"shape + texture (x{len(masks)})", lambda: [_descriptors(rgb, m) for m in masks]),
    ]
    return [(name, _median_ms(fn, repeat)) for name, fn in steps]


def print_stage_table(rows: list[tuple[str, float]], backbone_ms: float) -> None:
    total = sum(ms for _, ms in rows)
    models = sum(ms for name, ms in rows if name.startswith(MODELS))
    print("steps run one by one (median ms; x backbone alone):")
    for name, ms in rows:
        print(f"  {name:38s} {ms:7.1f} ms  {ms / backbone_ms:5.1f}x")
    print(f"  {'sum of steps':38s} {total:7.1f} ms  {total / backbone_ms:5.1f}x")
    print(f"  {'of which models (ONNX, MediaPipe)':38s} {models:7.1f} ms  {models / backbone_ms:5.1f}x")


def cpu_ms(fn: Callable[[], object], repeat: int) -> float:
    """Median process CPU time per call (every thread's), in ms: unlike wall time, barely moved by other jobs."""
    fn()
    samples = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        samples.append((time.process_time() - start) * 1000)
    return statistics.median(samples)


def _descriptors(rgb: np.ndarray, mask: np.ndarray) -> object:
    return shape.shape_features(rgb, mask), patterns.texture_features(rgb, mask)


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)
