"""The loopback shop for the catalog benchmarks: feed and images as files behind a static HTTP server process."""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from stylelens.config import IntegrationSettings, Settings, StorageSettings, VisionSettings
from stylelens.services import Services

sys.path.insert(0, "tests")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


SHOP_PROTOCOLS = ("HTTP/1.1", "HTTP/1.0")


def add_shop_protocol(parser: argparse.ArgumentParser) -> None:
    """The `--shop-protocol` option of the benchmarks that sync from the loopback shop."""
    parser.add_argument(
        "--shop-protocol",
        default=SHOP_PROTOCOLS[0],
        choices=SHOP_PROTOCOLS,
        help="how the loopback shop answers: HTTP/1.1 keeps connections open (as CDNs do), HTTP/1.0 closes each",
    )


@contextmanager
def static_server(folder: Path, protocol: str = "HTTP/1.1") -> Iterator[str]:
    """The shop's static file server (`_static_shop.py`) on a loopback port, serving `folder`; yields its base URL.

    HTTP/1.1 by default, with TCP_NODELAY, as a shop's image CDN answers: connections stay open between images.
    HTTP/1.0 closes each one after its answer, so every image pays a new connection.
    """
    port = free_port()
    server = Path(__file__).with_name("_static_shop.py")
    command = [sys.executable, str(server), str(port), str(folder), protocol]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait()


def fresh_services(threads: int = 2) -> Services:
    """Services on an empty data folder (the shared models under var/models)."""
    folder = Path(tempfile.mkdtemp(prefix="stylelens-bench-"))
    return Services(
        Settings(
            storage=StorageSettings(data_dir=folder),
            vision=VisionSettings(models_dir=Path("var") / "models", threads=threads),
            integration=IntegrationSettings(),
        )
    )
