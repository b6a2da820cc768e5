"""`stylelens data prepare` and `stylelens data check` as an operator runs them."""

from __future__ import annotations

import io
import json
from pathlib import Path

from PIL import Image
from typer.testing import CliRunner

from stylelens.cli import app

runner = CliRunner()


def test_prepare_reports_a_leak_check_fails_strict_and_fix_leakage_repairs_it(
    tmp_path: Path, image_folder: Path
) -> None:
    with Image.open(image_folder / "train" / "dress" / "p2.png") as picture:
        buffer = io.BytesIO()
        picture.save(buffer, format="JPEG", quality=80)
    (image_folder / "test" / "dress" / "copy.jpg").write_bytes(buffer.getvalue())
    out = tmp_path / "ds"

    first = tmp_path / "prepare.json"
    args = ["data", "prepare", str(image_folder), "--out", str(out), "--licence", "CC0", "--report", str(first)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert [s["origin"] for s in json.loads(first.read_text())["skipped"]] == ["train/shirt/broken.jpg"]
    assert "leakage across splits: 1 duplicate pairs, 0 groups" in result.output
    assert "skipped: 1" in result.output and "broken.jpg" in result.output

    report = tmp_path / "report.json"
    result = runner.invoke(app, ["data", "check", str(out), "--strict", "--report", str(report)])
    assert result.exit_code == 1 and "near duplicates (hash within 4 bits" in result.output
    assert json.loads(report.read_text())["summary"]["leaking_pairs"] == 1

    args = ["data", "prepare", str(image_folder), "--kind", "imagefolder", "--out", str(out), "--overwrite"]
    result = runner.invoke(app, [*args, "--fix-leakage"])
    assert result.exit_code == 0 and "moved to their twin's split: 1 items" in result.output
    assert runner.invoke(app, ["data", "check", str(out), "--strict"]).exit_code == 0

    assert runner.invoke(app, ["data", "prepare", str(image_folder), "--out", str(out), "--overwrite"]).exit_code == 0
    result = runner.invoke(app, ["data", "check", str(out), "--fix-leakage", "--strict"])  # an existing dataset
    assert result.exit_code == 0 and "moved to their twin's split: 1 items" in result.output

    (out / "images" / next((out / "images").iterdir()).name).write_bytes(b"tampered")
    result = runner.invoke(app, ["data", "check", str(out)])
    assert result.exit_code == 1 and "failed verification" in result.output


def test_prepare_refuses_an_unknown_source_clearly(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    result = runner.invoke(app, ["data", "prepare", str(tmp_path / "notes.txt"), "--out", str(tmp_path / "x")])
    assert result.exit_code == 1 and "pass --kind" in " ".join(result.output.split())  # Rich wraps long paths
