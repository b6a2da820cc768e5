"""A worker killed with SIGKILL in the middle of a sync, then restarted: the catalog ends exact, nothing twice.

Real processes: `stylelens catalog sync --enqueue` queues the sync, `stylelens worker` runs it against the
loopback shop and is killed with SIGKILL once part of the catalog is written; a new worker takes the job over
when the dead worker's lease ends and finishes it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from shop_server import Shop, ShopServer, assert_catalog_matches
from sqlalchemy import func, select

from stylelens.config import Settings
from stylelens.services import Services
from stylelens.storage.integration_models import JobRow, SyncRun
from stylelens.storage.models import Product

STYLELENS = Path(sys.executable).parent / "stylelens"
PRODUCTS = 300


def count_products(services: Services) -> int:
    with services.sessions() as session:
        return session.scalar(select(func.count()).select_from(Product)) or 0


def test_worker_killed_mid_sync_then_restarted_leaves_an_exact_catalog(
    tmp_path: Path, make_settings: Callable[[Path], Settings], models_dir: Path
) -> None:
    settings = make_settings(tmp_path)
    env = {
        **os.environ,
        "STYLELENS_STORAGE__DATA_DIR": str(tmp_path),
        "STYLELENS_VISION__MODELS_DIR": str(models_dir),
        "STYLELENS_INTEGRATION__JOB_LEASE_S": "3",
    }
    services = Services(settings)
    shop = Shop.generate(PRODUCTS)
    with ShopServer(shop) as server:
        queued = subprocess.run(
            [STYLELENS, "catalog", "sync", f"{server.url}/feed.xml", "--enqueue"], env=env, capture_output=True
        )
        assert queued.returncode == 0, queued.stderr.decode()

        first = subprocess.Popen([STYLELENS, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 240
        while count_products(services) < PRODUCTS // 4:
            assert first.poll() is None, first.stderr.read().decode() if first.stderr else ""
            assert time.monotonic() < deadline, "the first worker made no progress"
            time.sleep(0.2)
        first.send_signal(signal.SIGKILL)
        first.wait()
        first.stderr.close()  # type: ignore[union-attr]
        done_before_kill = count_products(services)
        assert PRODUCTS // 4 <= done_before_kill < PRODUCTS, "the kill must land mid-sync"

        second = subprocess.run([STYLELENS, "worker", "--until-idle"], env=env, capture_output=True, timeout=300)
        assert second.returncode == 0, second.stderr.decode()

    services = Services(settings)  # reopen: the index was written by the worker
    assert_catalog_matches(services, shop)
    with services.sessions() as session:
        (job,) = session.scalars(select(JobRow)).all()
        runs = session.scalars(select(SyncRun).order_by(SyncRun.id)).all()
    assert (job.status, job.attempts) == ("done", 2)
    assert [r.status for r in runs] == ["running", "done"]  # the killed run never finished; the second did
    report = runs[1].report
    assert report["deleted"] == 0 and report["rejected"] == 0
    # Nothing done twice: what the killed worker had committed is not embedded again (at most its last batch).
    assert report["unchanged"] >= done_before_kill - 64
    assert report["added"] + report["updated_images"] <= PRODUCTS - done_before_kill + 64
