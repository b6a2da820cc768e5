"""`stylelens eval vision`: the report and its JSON say what was measured, how to repeat it, and on what."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

STYLELENS = Path(sys.executable).parent / "stylelens"


def test_eval_vision_writes_the_figures_per_style_with_the_command_the_embedder_and_the_machine(
    tmp_path: Path, models_dir: Path
) -> None:
    out = tmp_path / "vision"
    env = {**os.environ, "STYLELENS_STORAGE__DATA_DIR": str(tmp_path), "STYLELENS_VISION__MODELS_DIR": str(models_dir)}
    command = ["eval", "vision", "--catalog", "40", "--queries", "10", "--fashion-mnist", "0", "--out", str(out)]
    done = subprocess.run([str(STYLELENS), *command], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    report = json.loads((out / "vision.json").read_text())
    assert report["shopper photos"]["photos"] == 10 and 0.0 <= report["shopper photos"]["recall@10"] <= 1.0
    styles = report["shopper photos by style"]
    assert sum(s["photos"] for s in styles.values()) == 10, styles
    run = report["run"]
    assert run["command"] == "stylelens eval vision --catalog 40 --queries 10 --fashion-mnist 0"
    assert run["embedder"].startswith("mobilenet_v2") and "CPU cores" in run["machine"]
    markdown = (out / "vision.md").read_text()
    assert f"Command: `{run['command']}`" in markdown and f"Machine: {run['machine']}" in markdown
