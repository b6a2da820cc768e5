"""The retention job (run daily: `stylelens privacy run`): saved photos past their retention period are deleted,
photo blobs without a record are removed, and erasures left unfinished by a failing store are retried."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from stylelens.privacy.erasure import retry_pending

if TYPE_CHECKING:
    from stylelens.services import Services


def run_privacy_jobs(services: Services, now: datetime | None = None) -> dict[str, int]:
    """Run every privacy housekeeping step once; returns how many items each step handled."""
    photos = services.privacy.photos
    expired = photos.purge_expired(now)
    orphans = photos.purge_orphans()
    retried = retry_pending(services)
    return {
        "photos_expired": expired,
        "photo_blobs_orphaned": orphans,
        "erasures_retried": len(retried),
        "erasures_still_pending": sum(1 for job in retried if job.status != "done"),
    }
