"""Erasure (GDPR Art. 17): a shopper's data goes from every registered area, and the job records what went.

The job row holds a random id and no pseudonym of the shopper once done; an area that fails leaves the job
"retrying" with the shopper id in `pending` (the only place it then survives, until the retry succeeds), and
`stylelens privacy run` retries it. Sessions are revoked first, so the erased account cannot act meanwhile.
No cache is keyed by a shopper: rate-limit counters are keyed by a pseudonym of the client address and last 60 s.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from stylelens.privacy.audit import ERASED
from stylelens.privacy.rights import registered_areas
from stylelens.storage.db import transaction
from stylelens.storage.models import utcnow
from stylelens.storage.shopper_models import AuditEvent, ErasureJob, ShopperSession

if TYPE_CHECKING:
    from stylelens.services import Services

log = logging.getLogger("stylelens.privacy")


def erase_shopper(services: Services, shopper_id: str) -> ErasureJob:
    """Erase everything about a shopper now; returns the job (status "done", or "retrying" if an area failed)."""
    job_id = str(uuid.uuid4())
    with transaction(services.sessions) as session:
        session.execute(delete(ShopperSession).where(ShopperSession.shopper_id == shopper_id))
        job = ErasureJob(id=job_id, subject=job_id, status="running", areas_done=[], areas_failed={}, pending={})
        session.add(job)
    return _run(services, job_id, shopper_id, [a.name for a in registered_areas()])


def retry_pending(services: Services) -> list[ErasureJob]:
    """Run again the areas that failed in earlier erasure jobs."""
    with services.sessions() as session:
        jobs = list(session.scalars(select(ErasureJob).where(ErasureJob.status == "retrying")))
    return [_run(services, j.id, str(j.pending["shopper_id"]), list(j.pending["areas"])) for j in jobs]


def _run(services: Services, job_id: str, shopper_id: str, names: list[str]) -> ErasureJob:
    areas = {a.name: a for a in registered_areas()}
    done: list[str] = []
    failed: dict[str, str] = {}
    for name in names:
        try:
            areas[name].erase(services, shopper_id)
            done.append(name)
        except Exception as exc:  # noqa: BLE001 - one failing store must not stop the others; it is retried
            failed[name] = type(exc).__name__
            log.warning("erasure area failed", extra={"job": job_id, "area": name, "error": type(exc).__name__})
    with transaction(services.sessions) as session:
        services.privacy.audit.forget(session, shopper_id)
        session.add(AuditEvent(action="shopper.erased", subject=ERASED, details={"job": job_id, "failed": failed}))
        job = session.get(ErasureJob, job_id)
        assert job is not None
        job.areas_done = sorted({*job.areas_done, *done})
        job.areas_failed = failed
        job.pending = {"shopper_id": shopper_id, "areas": sorted(failed)} if failed else {}
        job.status = "retrying" if failed else "done"
        job.finished_at = None if failed else utcnow()
        session.add(job)
    _flush_deleted_pages(services)
    log.info("shopper erased", extra={"job": job_id, "status": job.status, "areas": job.areas_done})
    return job


def _flush_deleted_pages(services: Services) -> None:
    """SQLite (with secure_delete on) keeps old page images in its write-ahead log until a checkpoint: fold it
    back and truncate it, so the erased rows survive in no file. PostgreSQL reclaims dead rows by autovacuum."""
    if services.engine.dialect.name == "sqlite":
        with services.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
