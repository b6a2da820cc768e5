"""Refresh docs/screenshots/: run the app's browser tests on the Pixel 7 and keep a screenshot of each screen.

Usage: .venv/bin/python scripts/screenshots.py   (needs what `make test` installs: chromium, axe-core)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs" / "screenshots"
SCREENS = (
    "welcome", "camera", "garments", "results", "results-filtered", "product", "for-you", "history",
    "profile", "how", "delete-confirm", "error-offline", "offline",
)  # fmt: skip


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "STYLELENS_SCREENSHOTS_DIR": folder}
        tests = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/web", "-k", "pixel-7"]
        code = subprocess.call(tests, cwd=REPO, env=env)
        if code != 0:
            return code
        DOCS.mkdir(parents=True, exist_ok=True)
        for screen in SCREENS:
            # Half the phone's device pixels: readable in the README, light in the repository.
            with Image.open(Path(folder) / f"pixel-7-{screen}.png") as shot:
                small = shot.resize((shot.width // 2, shot.height // 2), Image.Resampling.LANCZOS).convert("RGB")
            small.quantize(256, method=Image.Quantize.FASTOCTREE).save(DOCS / f"{screen}.png", optimize=True)
            print(DOCS / f"{screen}.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
