"""Garment segmentation on held-out synthetic composites: the trained segmenter vs the classical foreground step.

Runs the real commands, timed: `stylelens data synth` (unless the dataset is already there) and
`stylelens train segmenter` (it registers a new `segmenter` version). Then, from the same run, measures on the
test composites (held-out products on held-out background photos) the exported ONNX model as serving runs it
and the baseline, `vision.foreground.garment_mask` (border colour model + GrabCut), overall and per style; and
draws both masks on the real photos that ship with packages. Writes docs/eval/segmenter/ (results.json and
PNGs) and prints the figures, the baseline and the machine. Usage:

    .venv/bin/python benchmarks/train_segmenter.py [--threads 1] [--epochs 8] [--eval-only]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from stylelens.data.manifest import Dataset
from stylelens.training.segmenter import iou_scores
from stylelens.vision.foreground import garment_mask
from stylelens.vision.segmenter import GarmentSegmenter, foreground_mask

REPORT = Path("docs/eval/segmenter")
CLI = [sys.executable, "-m", "stylelens.cli"]


def real_photos() -> dict[str, np.ndarray]:
    """Real photos of people in clothes that ship with packages (none is a training background but astronaut)."""
    import matplotlib
    from skimage import data

    photos = {"astronaut (skimage)": np.asarray(data.astronaut())}
    hopper = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    photos["grace_hopper (matplotlib)"] = np.asarray(Image.open(hopper).convert("RGB"))
    for name in ("messi5.jpg", "basketball1.png", "basketball2.png"):
        path = Path("/usr/share/doc/opencv-doc/examples/data") / name
        if path.is_file():
            photos[f"{name} (OpenCV samples)"] = np.asarray(Image.open(path).convert("RGB"))
    return photos


def pooled(pairs: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
    inter, union = np.zeros(2), np.zeros(2)
    for pred, truth in pairs:
        for cls, (p, t) in enumerate(((~pred, ~truth), (pred, truth))):
            inter[cls] += np.count_nonzero(p & t)
            union[cls] += np.count_nonzero(p | t)
    return iou_scores(inter, union)


def overlay(photo: np.ndarray, mask: np.ndarray, title: str, width: int = 300) -> Image.Image:
    """The photo with the garment mask tinted green and outlined, scaled to `width`, titled."""
    tinted = photo.astype(np.float32)
    tinted[mask] = 0.45 * tinted[mask] + 0.55 * np.array([40, 220, 60])
    tinted[~mask] *= 0.55
    image = Image.fromarray(tinted.astype(np.uint8))
    image = image.resize((width, round(width * image.height / image.width)))
    canvas = Image.new("RGB", (width, image.height + 18), "white")
    canvas.paste(image, (0, 18))
    ImageDraw.Draw(canvas).text((4, 3), title, fill="black")
    return canvas


def grid(rows: list[list[Image.Image]]) -> Image.Image:
    heights = [max(t.height for t in row) for row in rows]
    width = max(sum(t.width for t in row) for row in rows)
    out = Image.new("RGB", (width, sum(heights)), "white")
    y = 0
    for row, h in zip(rows, heights, strict=True):
        x = 0
        for tile in row:
            out.paste(tile, (x, y))
            x += tile.width
        y += h
    return out


def run(command: list[str], env: dict[str, str]) -> float:
    print("$ stylelens", " ".join(command[len(CLI) :]), flush=True)
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--products", type=int, default=600)
    parser.add_argument("--per-product", type=int, default=4)
    parser.add_argument("--side", type=int, default=224)
    parser.add_argument("--input-size", type=int, default=160)
    parser.add_argument("--data-dir", type=Path, default=Path("var"))
    parser.add_argument("--eval-only", action="store_true", help="Measure the last benchmark run again, no training")
    args = parser.parse_args()

    env = {**os.environ, "STYLELENS_STORAGE__DATA_DIR": str(args.data_dir), "OMP_NUM_THREADS": str(args.threads)}
    dataset_dir = args.data_dir / "datasets" / "synthetic-garments"
    synth_s = train_s = None
    if not (dataset_dir / "dataset.json").is_file() and not args.eval_only:
        synth_s = run([*CLI, "data", "synth", "--products", str(args.products), "--per-product",
                       str(args.per_product), "--side", str(args.side), "--seed", str(args.seed)], env)  # fmt: skip
    out = args.data_dir / "runs" / "segmenter-benchmark"
    train = ["train", "segmenter", "--epochs", str(args.epochs), "--seed", str(args.seed), "--input-size",
             str(args.input_size), "--threads", str(args.threads), "--out", str(out)]  # fmt: skip
    # --eval-only keeps the timing of the training run it measures again (from the previous results.json).
    previous = json.loads((REPORT / "results.json").read_text()) if (REPORT / "results.json").is_file() else {}
    load_after_training = previous.get("load_average_after_training")
    if args.eval_only:
        train_s = previous.get("seconds", {}).get("train_command")
    else:
        train_s = run([*CLI, *train], env)
        load_after_training = os.getloadavg()
    meta = json.loads((out / "export" / "run.json").read_text())

    dataset = Dataset.open(dataset_dir)
    segmenter = GarmentSegmenter(Path("unused"), threads=args.threads, onnx_path=out / "export" / "model.onnx")
    ours: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    base: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    hybrid: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    samples = []
    started = time.perf_counter()
    for item in dataset.items("test"):
        photo = np.asarray(Image.open(dataset.image_path(item)).convert("RGB"))
        truth = np.asarray(Image.open(dataset.mask_path(item))) >= 128  # type: ignore[arg-type]
        pred, classical = segmenter.mask(photo), garment_mask(photo)
        for style in ("all", str(item.attributes.get("style"))):
            ours.setdefault(style, []).append((pred, truth))
            base.setdefault(style, []).append((classical, truth))
            hybrid.setdefault(style, []).append((foreground_mask(photo, segmenter), truth))
        if len(samples) < 8 and item.attributes.get("background") != (samples[-1][3] if samples else None):
            samples.append((photo, pred, classical, item.attributes.get("background")))
    eval_s = time.perf_counter() - started
    results = {
        "segmenter": {style: pooled(pairs) for style, pairs in ours.items()},
        "baseline_foreground_garment_mask": {style: pooled(pairs) for style, pairs in base.items()},
        "serving_foreground_mask_with_segmenter": {style: pooled(pairs) for style, pairs in hybrid.items()},
        "test_photos": {style: len(pairs) for style, pairs in ours.items()},
        "torch_test": meta["test"], "val": meta["val"], "best_epoch": meta["best_epoch"],
        "onnx_parity_max_abs_diff": meta["parity"], "command": meta["command"],
        "seconds": {"synth": synth_s, "train_command": train_s, "evaluation": eval_s},
        "load_average_after_training": load_after_training,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}, CPU only, "
        f"{args.threads} torch threads",
    }  # fmt: skip

    REPORT.mkdir(parents=True, exist_ok=True)
    photos = real_photos()
    rows = [[overlay(p, segmenter.mask(p), f"segmenter: {n}"), overlay(p, garment_mask(p), "baseline (GrabCut)")]
            for n, p in photos.items()]  # fmt: skip
    grid(rows).save(REPORT / "real_photos.png")
    tiles = [[overlay(p, m, f"segmenter ({b})", 200), overlay(p, c, "baseline", 200)] for p, m, c, b in samples]
    grid([tiles[i] + tiles[i + 1] for i in range(0, len(tiles) - 1, 2)]).save(REPORT / "test_composites.png")
    (REPORT / "results.json").write_text(json.dumps(results, indent=2) + "\n")

    seg, bl = results["segmenter"]["all"], results["baseline_foreground_garment_mask"]["all"]
    print(f"test composites: {len(ours['all'])} (held-out products on held-out backgrounds)")
    print(f"segmenter (ONNX): mIoU {seg['miou']:.4f}, garment IoU {seg['iou_garment']:.4f}")
    print(f"baseline foreground.garment_mask: mIoU {bl['miou']:.4f}, garment IoU {bl['iou_garment']:.4f}")
    hy = results["serving_foreground_mask_with_segmenter"]["all"]
    print(f"plain-background model, else segmenter: mIoU {hy['miou']:.4f}, garment IoU {hy['iou_garment']:.4f}")
    for style in sorted(k for k in ours if k != "all"):
        s, b = results["segmenter"][style], results["baseline_foreground_garment_mask"][style]
        print(f"  {style:6s} ({len(ours[style])}): mIoU {s['miou']:.4f} vs baseline {b['miou']:.4f}")
    timing = f"train command wall time {train_s:.0f} s" if train_s is not None else "training time unknown"
    print(f"{timing} (best epoch {meta['best_epoch']}); machine: {results['machine']}")


if __name__ == "__main__":
    main()
