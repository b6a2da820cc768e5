"""Time from `make demo` to a ready service (/readyz answers 200): a first run and a second, cached run.

Run from a fresh clone to measure the first run from nothing (venv, packages, models, demo catalog):

    python3 benchmarks/demo_startup.py [--port 8765] [--runs 2]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import time
import urllib.request


def ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def time_to_ready(port: int, limit_s: float) -> float:
    env = {**os.environ, "STYLELENS_API__PORT": str(port)}
    start = time.perf_counter()
    process = subprocess.Popen(
        ["make", "demo"], env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while time.perf_counter() - start < limit_s:
            if ready(port):
                return time.perf_counter() - start
            if process.poll() is not None:
                raise SystemExit(f"make demo exited with {process.returncode} before being ready")
            time.sleep(0.25)
        raise SystemExit(f"not ready after {limit_s} s")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--limit", type=float, default=1800)
    args = parser.parse_args()
    for run in range(1, args.runs + 1):
        print(f"make demo run {run}: /readyz 200 after {time_to_ready(args.port, args.limit):.1f} s", flush=True)


if __name__ == "__main__":
    main()
