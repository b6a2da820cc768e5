"""The embedded job queue: a `jobs` table in the catalog database (SQLite or PostgreSQL).

A claim is an optimistic compare-and-set on the row (status and lease token), so two workers never hold the
same job, on either database. A running job's `available_at` is its lease end: when a worker dies (SIGKILL,
power cut), the job is handed out again once the lease is over. A job claimed `max_attempts` times without
completing goes to the dead-letter table instead of looping for ever.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from stylelens.jobs.base import Job
from stylelens.storage import db
from stylelens.storage.db import transaction
from stylelens.storage.integration_models import DeadLetter, JobRow
from stylelens.storage.models import utcnow

_CANDIDATES = 8


class DatabaseJobQueue:
    """Jobs in the database, at least once, leased to one worker at a time."""

    def __init__(self, sessions: sessionmaker[Session], *, max_attempts: int = 8) -> None:
        self.sessions = sessions
        self.max_attempts = max_attempts

    def enqueue(self, kind: str, payload: dict[str, Any], *, key: str | None = None) -> str:
        """Queue a job; with a `key` already queued (a webhook delivered twice), return the first job's id."""
        job_id = str(uuid.uuid4())
        try:
            with transaction(self.sessions) as session:
                session.add(JobRow(id=job_id, kind=kind, payload=payload, key=key, available_at=utcnow()))
        except IntegrityError:
            if key is None:
                raise
            with self.sessions() as session:
                existing = session.scalar(select(JobRow.id).where(JobRow.key == key))
            if existing is None:
                raise
            return existing
        return job_id

    def claim(self, worker: str, lease_seconds: float = 60.0) -> Job | None:
        """The oldest job that is due (queued, or leased by a worker that stopped answering), or None."""
        while True:
            now = utcnow()
            with self.sessions() as session:
                due = or_(JobRow.status == "queued", JobRow.status == "running")
                query = select(JobRow).where(due, JobRow.available_at <= now).order_by(JobRow.available_at)
                candidates = list(session.scalars(query.limit(_CANDIDATES)))
            if not candidates:
                return None
            for row in candidates:
                if row.attempts >= self.max_attempts:
                    self._bury(row, row.last_error or "lease expired too many times")
                    continue
                token = str(uuid.uuid4())
                with transaction(self.sessions) as session:
                    won = session.execute(
                        update(JobRow)
                        .where(JobRow.id == row.id, JobRow.status == row.status, JobRow.lease_token == row.lease_token)
                        .values(
                            status="running",
                            lease_token=token,
                            lease_owner=worker[:120],
                            attempts=row.attempts + 1,
                            available_at=now + timedelta(seconds=lease_seconds),
                        )
                    )
                if won.rowcount == 1:  # type: ignore[attr-defined]
                    return Job(row.id, row.kind, dict(row.payload), row.attempts + 1, token)
            # every candidate was taken by another worker meanwhile, or buried: look again

    def extend(self, job: Job, lease_seconds: float = 60.0) -> bool:
        """Push the lease of a job still being worked on; False if the worker lost it."""
        until = utcnow() + timedelta(seconds=lease_seconds)
        return self._update(job, available_at=until)

    def complete(self, job: Job) -> None:
        self._update(job, status="done", finished_at=utcnow(), lease_token="")

    def release(self, job: Job, error: str, retry_in: float = 0.0) -> None:
        """Hand a failed job back, to be tried again after `retry_in` seconds (or buried after max attempts)."""
        if job.attempts >= self.max_attempts:
            with self.sessions() as session:
                row = session.get(JobRow, job.id)
            if row is not None and row.lease_token == job.receipt:
                self._bury(row, error)
            return
        self._update(
            job,
            status="queued",
            lease_token="",
            last_error=error[:4000],
            available_at=utcnow() + timedelta(seconds=retry_in),
        )

    def pending(self) -> int:
        """Jobs not done yet (queued or running)."""
        with self.sessions() as session:
            query = select(func.count()).select_from(JobRow).where(JobRow.status.in_(("queued", "running")))
            return session.scalar(query) or 0

    def dead_letters(self) -> list[dict[str, Any]]:
        with self.sessions() as session:
            rows = session.scalars(select(DeadLetter).order_by(DeadLetter.pk))
            return [{"kind": r.kind, "payload": r.payload, "error": r.error} for r in rows]

    def _update(self, job: Job, **values: Any) -> bool:
        with transaction(self.sessions) as session:
            result = session.execute(
                update(JobRow).where(JobRow.id == job.id, JobRow.lease_token == job.receipt).values(**values)
            )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def _bury(self, row: JobRow, error: str) -> None:
        with transaction(self.sessions) as session:
            moved = session.execute(
                update(JobRow)
                .where(JobRow.id == row.id, JobRow.lease_token == row.lease_token, JobRow.status == row.status)
                .values(status="dead", finished_at=utcnow(), last_error=error[:4000], lease_token="")
            )
            if moved.rowcount == 1:  # type: ignore[attr-defined]
                session.add(DeadLetter(kind=row.kind, payload=row.payload, attempts=row.attempts, error=error[:4000]))


def queue_for_tests(folder: Path, *, max_attempts: int = 3) -> DatabaseJobQueue:
    """A queue on a fresh SQLite database in `folder` (the shared backend contract tests use it)."""
    engine = db.make_engine(f"sqlite:///{folder / 'jobs.db'}")
    db.upgrade(engine)
    return DatabaseJobQueue(db.session_factory(engine), max_attempts=max_attempts)
