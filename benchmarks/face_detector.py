"""The face detector as the service runs it (weights out of the graph's inputs) against the file as packaged
(all 194 weights also listed as inputs), on the real photos that ship with packages, in the same run.

    .venv/bin/python benchmarks/face_detector.py [--repeat 30]

Both sessions run on one ONNX Runtime thread, as the service's detector does. For each detection side the
service uses (224 px: the search's first look; 640 px: a photo about to be stored), prints the median time of
one detection per photo for each model, their ratio, and whether both found the same faces.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np
import onnxruntime as ort

sys.path.insert(0, "benchmarks")
sys.path.insert(0, "tests")
from _common import machine  # noqa: E402
from face_photos import face_photos  # noqa: E402

from stylelens.vision.faces import DETECT_SIDE, FaceDetector, centerface_path, packaged_model  # noqa: E402

SEARCH_SIDE = 224  # stylelens.vision.analysis.FACE_SIDE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    photos = face_photos()
    served = FaceDetector()
    as_packaged = FaceDetector()
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads, options.log_severity_level = 1, 1, 3
    as_packaged._session = ort.InferenceSession(
        packaged_model(centerface_path()).SerializeToString(), sess_options=options, providers=["CPUExecutionProvider"]
    )
    print(f"machine: {machine()}; ONNX Runtime {ort.__version__}, 1 thread; photos: {', '.join(photos)}")
    for side in (SEARCH_SIDE, DETECT_SIDE):
        same = all(
            np.allclose(
                [[f.left, f.top, f.right, f.bottom, f.score] for f in served.find(p, side)],
                [[f.left, f.top, f.right, f.bottom, f.score] for f in as_packaged.find(p, side)],
                atol=1e-3,
            )
            for p in photos.values()
        )
        # Interleaved, so that a change in the machine's speed touches both alike.
        times: dict[str, list[float]] = {"served": [], "packaged": []}
        for _ in range(args.repeat):
            for name, detector in (("served", served), ("packaged", as_packaged)):
                for photo in photos.values():
                    started = time.perf_counter()
                    detector.find(photo, side)
                    times[name].append(time.perf_counter() - started)
        a, b = (1000 * statistics.median(times[k]) for k in ("served", "packaged"))
        print(
            f"side {side:4d} px: served p50 {a:6.2f} ms, as packaged p50 {b:6.2f} ms, ratio served / packaged "
            f"{a / b:.2f}; same faces: {same}"
        )


if __name__ == "__main__":
    main()
