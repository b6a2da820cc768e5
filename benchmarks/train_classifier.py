"""Fashion-MNIST test accuracy and wall time of `stylelens train classifier --dataset fashion-mnist`.

Runs the real command (a fresh run folder, its own data dir under var/bench) and measures its wall time from
the outside, sampling the machine's load average every 5 s while it runs. Prints the test accuracy the command
measured with ONNX Runtime on the official 10,000 test pictures, the goal (>= 94.0 % within 30 min on a 2-core
CPU) and the published baseline it is set against (ResNet18, 94.9 %, from the Fashion-MNIST benchmark table;
not re-measured here). Writes benchmarks/results/train_classifier.json and the command's full log beside it.

    .venv/bin/python benchmarks/train_classifier.py [--threads 2] [-- extra train options, e.g. --epochs 12]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

GOAL_ACCURACY = 0.940
GOAL_SECONDS = 30 * 60
BASELINE = ("ResNet18 (published, Fashion-MNIST benchmark)", 0.949)
RESULTS = Path("benchmarks") / "results"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--data-dir", type=Path, default=Path("var") / "bench" / "train-classifier")
    parser.add_argument("extra", nargs="*", help="more `stylelens train classifier` options (after --)")
    args = parser.parse_args()
    stylelens = str(Path(sys.executable).with_name("stylelens"))
    command = [stylelens, "train", "classifier", "--dataset", "fashion-mnist", "--threads", str(args.threads)]
    command += [*args.extra, "--out", str(args.data_dir / "run")]
    shown = shlex.join(["stylelens", *command[1:]])  # as a reader types it: no path of this machine
    env = {**os.environ, "STYLELENS_STORAGE__DATA_DIR": str(args.data_dir), "PYTHONUNBUFFERED": "1"}
    RESULTS.mkdir(parents=True, exist_ok=True)
    log_path = RESULTS / "train_classifier.log"
    loads: list[float] = []
    done = threading.Event()

    def sample_load() -> None:
        while not done.wait(5.0):
            loads.append(os.getloadavg()[0])

    load_before = os.getloadavg()
    sampler = threading.Thread(target=sample_load, daemon=True)
    started_at = datetime.now(UTC)
    started = time.perf_counter()
    sampler.start()
    with log_path.open("w") as log:
        log.write(f"$ {shown}\n")
        log.flush()
        process = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=log, text=True, check=False)
        log.write(process.stdout)
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        sys.exit(f"the training command failed (exit {process.returncode}); see {log_path}")
    accuracy = float(re.search(r"test accuracy ([0-9.]+)", process.stdout).group(1))  # type: ignore[union-attr]
    version = re.search(r"registered classifier (v\d+)", process.stdout)
    epochs = re.findall(r"epoch (\d+)/(\d+)", log_path.read_text())
    results = {
        "figure": "Fashion-MNIST test accuracy of `stylelens train classifier --dataset fashion-mnist`",
        "test_accuracy": accuracy,
        "wall_seconds": round(wall, 1),
        "goal": {"test_accuracy": GOAL_ACCURACY, "wall_seconds": GOAL_SECONDS},
        "met": accuracy >= GOAL_ACCURACY and wall <= GOAL_SECONDS,
        "baseline": {"name": BASELINE[0], "test_accuracy": BASELINE[1], "measured_here": False},
        "command": shown,
        "epochs_run": len(epochs),
        "registered": version.group(1) if version else None,
        "started": started_at.isoformat(timespec="seconds"),
        "machine": {
            "nproc": os.cpu_count(),
            "cpu": cpu_model(),
            "python": platform.python_version(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_1min_during": {
                "min": round(min(loads, default=load_before[0]), 2),
                "mean": round(sum(loads) / max(1, len(loads)), 2),
                "max": round(max(loads, default=load_before[0]), 2),
                "samples": len(loads),
            },
        },
    }
    (RESULTS / "train_classifier.json").write_text(json.dumps(results, indent=2) + "\n")
    load = results["machine"]["load_1min_during"]  # type: ignore[index]
    print(f"test accuracy {accuracy:.4f} (goal >= {GOAL_ACCURACY:.3f}; baseline {BASELINE[0]} {BASELINE[1]:.3f})")
    print(f"wall time {wall / 60:.1f} min (goal <= {GOAL_SECONDS // 60} min); goal met: {results['met']}")
    print(
        f"machine: {os.cpu_count()} cores ({cpu_model()}), {args.threads} torch threads; load average during "
        f"the run min {load['min']} / mean {load['mean']} / max {load['max']} (before: {load_before[0]:.2f})"
    )
    print(f"command: {results['command']}; log: {log_path}")


if __name__ == "__main__":
    main()
