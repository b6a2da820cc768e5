"""The whole analysis of a 1024-px photo with a person, against one backbone inference, in the same run.

The photo is OpenCV's messi5 sample (Debian opencv-doc; a whole person: top, shorts, shoes) enlarged to 1024 px
wide and sent as a JPEG, as a shopper's phone would (scikit-image's astronaut when opencv-doc is missing).
"Whole analysis" is what a search does before it looks at the index: decode at working size, find the person
(pose + mask), detect and blur faces, cut every garment region, embed all of them in one batch, name their
categories, colours and patterns. "Backbone" is one ONNX Runtime inference of the embedder on a preprocessed
224x224 input. Prints p50/p95 of both and the ratio (goal: <= 3), then each step run on its own (where the
time goes; the analyser overlaps the ONNX Runtime steps with the rest on two helper threads).

    .venv/bin/python benchmarks/analysis_latency.py [--repeat 40]
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, "benchmarks")
from _common import machine, p50_p95, timings_ms  # noqa: E402
from _stages import cpu_ms, print_stage_table, stage_table  # noqa: E402

from stylelens.config import Settings, VisionSettings  # noqa: E402
from stylelens.recommend.search import WORK_SIDE  # noqa: E402
from stylelens.services import Services  # noqa: E402
from stylelens.vision.decode import decode_photo  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    from skimage import data

    settings = Settings(vision=VisionSettings(models_dir=Path("var") / "models", threads=args.threads))
    services = Services(settings)
    analyser, embedder = services.analyser, services.embedder
    analyser.load()
    sample = Path("/usr/share/doc/opencv-doc/examples/data/messi5.jpg")
    person = Image.open(sample).convert("RGB") if sample.is_file() else Image.fromarray(data.astronaut())
    size = (1024, round(1024 * person.height / person.width))
    buffer = io.BytesIO()
    person.resize(size, Image.Resampling.BICUBIC).save(buffer, "JPEG", quality=90)
    photo = buffer.getvalue()

    def whole() -> object:
        image, _ = decode_photo(photo, max_bytes=1 << 26, max_pixels=1 << 26, work_side=WORK_SIDE)
        return analyser.analyse_photo(image)

    found = analyser.analyse_photo(decode_photo(photo, max_bytes=1 << 26, max_pixels=1 << 26, work_side=WORK_SIDE)[0])
    tensor = embedder.preprocess(Image.open(io.BytesIO(photo)).convert("RGB"))[None]
    backbone = timings_ms(lambda: embedder.predict(np.ascontiguousarray(tensor)), args.repeat)
    analysis = timings_ms(whole, args.repeat)
    (b50, b95), (a50, a95) = p50_p95(backbone), p50_p95(analysis)
    print(f"machine: {machine()}, ONNX Runtime threads: {args.threads}")
    print(f"photo: {size[0]}x{size[1]} JPEG with a person; garments found: {[g.kind for g in found.garments]}")
    print(f"backbone inference alone ({embedder.name}, 1x224x224): p50 {b50:.1f} ms, p95 {b95:.1f} ms")
    print(f"whole analysis (every garment):            p50 {a50:.1f} ms, p95 {a95:.1f} ms")
    print(f"ratio whole / backbone (p50): {a50 / b50:.2f}  (goal <= 3)")
    cpu_backbone, cpu_whole = cpu_ms(lambda: embedder.predict(tensor), args.repeat), cpu_ms(whole, args.repeat)
    print(
        f"CPU time per call (all threads, p50): backbone {cpu_backbone:.1f} ms, whole analysis {cpu_whole:.1f} ms, "
        f"ratio {cpu_whole / cpu_backbone:.2f}"
    )
    print_stage_table(stage_table(analyser, photo, max(5, args.repeat // 2)), b50)


if __name__ == "__main__":
    main()
