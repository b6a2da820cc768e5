"""The job queue contract: a database table on the embedded default, Azure Storage Queue on Azure.

At-least-once delivery: a claimed job that is not completed before its lease ends is handed out again, so a
job's work must be idempotent (catalog jobs compare content hashes; webhooks carry a delivery id).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Job:
    """One unit of background work."""

    id: str
    kind: str  # e.g. "catalog.ingest", "events.deliver"
    payload: dict[str, Any]
    attempts: int = 0
    receipt: str = ""  # backend's claim token (Azure pop receipt); empty for the database queue


class JobQueue(Protocol):
    """A durable queue of jobs shared by the API, the CLI and the workers.

    enqueue: `key` makes it idempotent (a second enqueue with the same key adds nothing and returns the
    first job's id; used for webhook delivery ids). extend: a worker's heartbeat, pushing its lease further
    while a long job runs; False when the lease was lost (another worker may have the job now).
    """

    def enqueue(self, kind: str, payload: dict[str, Any], *, key: str | None = None) -> str: ...
    def claim(self, worker: str, lease_seconds: float = 60.0) -> Job | None: ...
    def extend(self, job: Job, lease_seconds: float = 60.0) -> bool: ...
    def complete(self, job: Job) -> None: ...
    def release(self, job: Job, error: str, retry_in: float = 0.0) -> None: ...
    def pending(self) -> int: ...
