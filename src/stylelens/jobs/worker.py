"""The worker loop: claim a job, keep its lease alive while it runs, complete it, or hand it back to retry."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable

from stylelens.jobs.base import Job, JobQueue

log = logging.getLogger("stylelens.jobs")
Handler = Callable[[Job], None]
MAX_BACKOFF_S = 600.0


class Worker:
    """Does the queue's jobs one at a time with the handler registered for each job kind."""

    def __init__(
        self, queue: JobQueue, handlers: dict[str, Handler], *, lease_s: float = 60.0, name: str | None = None
    ) -> None:
        self.queue, self.handlers, self.lease_s = queue, handlers, lease_s
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"

    def run(self, stop: threading.Event | None = None, *, until_idle: bool = False, poll_s: float = 1.0) -> int:
        """Work until `stop` is set (or, with until_idle, until no job is due); returns the jobs done."""
        stop = stop or threading.Event()
        done = 0
        while not stop.is_set():
            if self.run_once():
                done += 1
            elif until_idle:
                return done
            else:
                stop.wait(poll_s)
        return done

    def run_once(self) -> bool:
        """Claim and do one job; False when none was due."""
        job = self.queue.claim(self.name, lease_seconds=self.lease_s)
        if job is None:
            return False
        handler = self.handlers.get(job.kind)
        if handler is None:
            self.queue.release(job, f"no handler for job kind {job.kind!r}", retry_in=MAX_BACKOFF_S)
            return True
        heartbeat = _Heartbeat(self.queue, job, self.lease_s)
        started = time.perf_counter()
        try:
            handler(job)
        except Exception as exc:  # noqa: BLE001 - any failure hands the job back for a later attempt
            retry_in = min(MAX_BACKOFF_S, 2.0**job.attempts)
            log.warning("job failed", extra={"job_id": job.id, "kind": job.kind, "error": str(exc)[:500]})
            heartbeat.stop()
            self.queue.release(job, f"{type(exc).__name__}: {exc}", retry_in=retry_in)
            return True
        heartbeat.stop()
        self.queue.complete(job)
        log.info("job done", extra={"job_id": job.id, "kind": job.kind, "s": round(time.perf_counter() - started, 3)})
        return True


class _Heartbeat:
    """Extends a job's lease every third of it, on a background thread, until stopped."""

    def __init__(self, queue: JobQueue, job: Job, lease_s: float) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, args=(queue, job, lease_s), daemon=True)
        self._thread.start()

    def _beat(self, queue: JobQueue, job: Job, lease_s: float) -> None:
        while not self._stop.wait(lease_s / 3):
            if not queue.extend(job, lease_s):
                log.warning("job lease lost", extra={"job_id": job.id})
                return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
