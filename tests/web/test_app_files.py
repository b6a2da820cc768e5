"""The app's files themselves: light enough for a phone, all kept offline, installable, no inline code."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

from PIL import Image

WEB = Path(__file__).resolve().parents[2] / "src" / "stylelens" / "web"
BUDGET_BYTES = 150 * 1024


def app_code() -> list[Path]:
    return sorted(p for p in WEB.rglob("*") if p.suffix in (".js", ".css"))


def test_javascript_and_css_fit_the_150_kb_compressed_budget() -> None:
    compressed = sum(len(gzip.compress(p.read_bytes(), 9)) for p in app_code())
    assert 0 < compressed <= BUDGET_BYTES, f"{compressed} bytes gzipped"


def test_service_worker_keeps_every_app_file_for_offline_use() -> None:
    listed = set(re.findall(r'"(/[^"]*)"', (WEB / "sw.js").read_text()))
    shipped = {"/" + p.relative_to(WEB).as_posix() for p in WEB.rglob("*") if p.is_file() and p.name != "sw.js"}
    assert shipped <= listed, f"missing from the offline shell: {sorted(shipped - listed)}"


def test_manifest_makes_the_app_installable() -> None:
    manifest = json.loads((WEB / "manifest.webmanifest").read_text())
    assert manifest["display"] == "standalone" and manifest["lang"] == "fr" and manifest["start_url"].startswith("/")
    sizes = {}
    for icon in manifest["icons"]:
        with Image.open(WEB / icon["src"].lstrip("/")) as image:
            assert f"{image.width}x{image.height}" == icon["sizes"]
        sizes[icon["sizes"], icon.get("purpose", "any")] = icon
    assert ("192x192", "any") in sizes and ("512x512", "any") in sizes and ("512x512", "maskable") in sizes


def test_the_page_has_no_inline_script_or_style() -> None:
    html = (WEB / "index.html").read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "<style" not in html and " style=" not in html
    assert not re.search(r"\bon[a-z]+=", html)
