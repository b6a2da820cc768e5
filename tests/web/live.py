"""The service on a loopback port and shoppers' photos, for the browser tests."""

from __future__ import annotations

import io
import json
import socket
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from PIL import Image

from stylelens.api.app import create_app
from stylelens.config import Settings
from stylelens.services import Services

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
DEVICES = ("Pixel 7", "iPhone 13")
CATALOG_SIZE = 300
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@dataclass
class WebShop:
    url: str
    services: Services
    settings: Settings

    def api(self, method: str, path: str, token: str = "", body: Any = None) -> tuple[int, bytes]:
        """Ask the running service directly, as the shop's back office would."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()


class LiveServer:
    """uvicorn in a thread on a free loopback port; stop() shuts it down for real."""

    def __init__(self, settings: Settings, services: Services) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        config = uvicorn.Config(create_app(settings, services), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the StyleLens server did not start")
            time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def photo_of(web_shop: WebShop, index: int = 0, *, side: int = 2000) -> tuple[bytes, dict[str, Any]]:
    """A shopper's photo of a catalog product: re-taken, large (side px), with camera and GPS metadata."""
    from shopper_photos import rephotograph

    status, body = web_shop.api("GET", f"/v1/products?limit=1&offset={index}")
    assert status == 200
    product = json.loads(body)["data"][0]
    with urllib.request.urlopen(product["image_url"], timeout=30) as answer:
        image = Image.open(io.BytesIO(answer.read())).convert("RGB")
    taken = Image.open(io.BytesIO(rephotograph(image, angle=6.0, quality=88))).convert("RGB")
    taken = taken.resize((side, side * 3 // 4))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model X"  # Model
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 7.0)})
    out = io.BytesIO()
    taken.save(out, format="JPEG", quality=92, exif=exif)
    return out.getvalue(), product
