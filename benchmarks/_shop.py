"""The loopback shop for the catalog benchmarks: feed and images as files behind a static HTTP server process."""

from __future__ import annotations

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


@contextmanager
def static_server(folder: Path) -> Iterator[str]:
    """`python -m http.server` on a loopback port, serving `folder`; yields its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(folder)]
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
