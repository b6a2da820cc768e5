"""The commands: `stylelens eval recommend`, `stylelens explain-recommendations`; text match without torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from stylelens.config import RecommendSettings, Settings
from stylelens.recommend.explainer import how_recommendations_work

STYLELENS = Path(sys.executable).parent / "stylelens"


def _env(tmp_path: Path, models_dir: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "STYLELENS_STORAGE__DATA_DIR": str(tmp_path),
        "STYLELENS_VISION__MODELS_DIR": str(models_dir),
        **extra,
    }


def test_eval_recommend_writes_one_report_with_all_methods_and_arms(tmp_path: Path, models_dir: Path) -> None:
    env = _env(tmp_path, models_dir, STYLELENS_CATALOG__DEMO_SIZE="80")
    out = tmp_path / "eval"
    done = subprocess.run(
        [str(STYLELENS), "eval", "recommend", "--shoppers", "40", "--out", str(out)],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Personalised vs pure visual similarity (centroid)" in done.stdout
    (report,) = json.loads((out / "recommend-eval.json").read_text())  # no logged events in a fresh catalog
    assert set(report["methods"]) == {"popularity", "visual", "visual_items", "personalised"}
    assert set(report["ab_arms"]) == {"control", "treatment"} and report["catalog_size"] == 80
    markdown = (out / "recommend-eval.md").read_text()
    assert markdown.startswith("# Offline evaluation")
    # The report says how to repeat it and what it ran on: the command, the embedder, the machine.
    assert report["run"]["command"] == f"stylelens eval recommend --shoppers 40 --seed 11 --k 10 --out {out}"
    assert report["run"]["embedder"].startswith("mobilenet_v2") and report["run"]["machine"]
    assert f"Command: `{report['run']['command']}`" in markdown and "Machine: " in markdown


def test_the_explanation_follows_the_settings(tmp_path: Path) -> None:
    off = Settings(recommend=RecommendSettings(personalisation=False, brand_boosts={"Nordvik": 0.2}, diversity=0.4))
    text = how_recommendations_work(off)
    assert "**off** for everyone" in text and "brand Nordvik: +0.2" in text and "diversity 0.4" in text
    assert "STYLELENS_RECOMMEND__PERSONALISATION=false" in text
    on = how_recommendations_work(Settings())
    assert "on for shoppers who gave their personalisation consent" in on
    out = tmp_path / "how.md"
    command = [str(STYLELENS), "explain-recommendations", "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert out.read_text() == on


def test_text_match_serves_without_torch(models_dir: Path, text_model: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from stylelens.recommend.text import TextEncoder;"
        f"e = TextEncoder(Path({str(models_dir)!r}));"
        "v = e.encode(['navy linen shirt', 'navy shirt', 'red floral dress']);"
        "print(float(v[0] @ v[1]) > float(v[0] @ v[2]), 'torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["True", "False"], done.stderr
