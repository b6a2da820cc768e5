"""Background jobs on an Azure Storage queue, behind the `JobQueue` contract (jobs/base.py).

A claim is a receive with a visibility timeout: the message is hidden for the lease and comes back by itself if the
worker dies, which is the at-least-once delivery the contract promises. Extending the lease (the worker's heartbeat)
updates the visibility timeout, which gives the message a new pop receipt: the queue remembers the newest receipt
of each claim this process holds, keyed by the claim's first receipt (two claims of one job never share it).
Completing deletes the message; releasing makes it visible again after `retry_in` with the error recorded. A job
released after `max_attempts` claims (or claimed again after that) is moved to the "<queue>-poison" queue, so one
bad job cannot loop for ever. Storage queues have no de-duplication: an enqueue with a `key` first creates the blob
"<queue>-keys/<sha256(key)>" only if it does not exist yet (an atomic conditional write); that blob holds the
first job's id.
The ingestion worker's KEDA rule scales on this queue's length (deploy/azure/main.bicep).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
import time
from typing import Any

from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import BlobServiceClient, ContainerClient
from azure.storage.queue import QueueClient, QueueMessage, QueueServiceClient

from stylelens.config import AzureSettings
from stylelens.jobs.base import Job
from stylelens.storage.azure_blobs import azure_credential, provision

log = logging.getLogger("stylelens.jobs")

MAX_VISIBILITY_S = 7 * 24 * 3600  # Azure's ceiling for a message's visibility timeout


class AzureJobQueue:
    """Jobs as JSON messages {"kind", "payload", "error"} on one Azure Storage queue."""

    def __init__(
        self, queue: QueueClient, poison: QueueClient, keys: ContainerClient, *, max_attempts: int = 8
    ) -> None:
        self.queue = queue
        self.poison = poison
        self.keys = keys
        self.max_attempts = max_attempts
        self._receipts: dict[str, str] = {}  # a claim's first pop receipt -> its newest (after heartbeats)
        self._lock = threading.Lock()
        for client in (queue, poison, keys):
            provision(client.create_queue if isinstance(client, QueueClient) else client.create_container)

    @classmethod
    def from_settings(cls, azure: AzureSettings, *, max_attempts: int = 8, credential: Any = None) -> AzureJobQueue:
        """A connection string when one is set (Azurite), else the queue account URL + managed identity."""
        if azure.storage_connection_string:
            service = QueueServiceClient.from_connection_string(azure.storage_connection_string)
            blobs = BlobServiceClient.from_connection_string(azure.storage_connection_string)
        elif azure.queue_account_url and azure.blob_account_url:
            credential = credential or azure_credential(azure)
            service = QueueServiceClient(azure.queue_account_url, credential=credential)
            blobs = BlobServiceClient(azure.blob_account_url, credential=credential)
        else:
            raise ValueError("Azure queues need STYLELENS_AZURE__STORAGE_CONNECTION_STRING or both account URLs")
        name = azure.jobs_queue
        return cls(
            service.get_queue_client(name),
            service.get_queue_client(f"{name}-poison"),
            blobs.get_container_client(f"{name}-keys"),
            max_attempts=max_attempts,
        )

    def enqueue(self, kind: str, payload: dict[str, Any], *, key: str | None = None) -> str:
        """Queue a job; with a `key` already used (a webhook delivered twice), return the first job's id."""
        body = json.dumps({"kind": kind, "payload": payload, "error": ""})
        if key is None:
            return str(self.queue.send_message(body).id)
        marker = self.keys.get_blob_client(hashlib.sha256(key.encode()).hexdigest())
        try:
            marker.upload_blob(b"", overwrite=False)  # fails if the key was used: the atomic part
        except ResourceExistsError:
            return self._first_job_id(marker)
        job_id = str(self.queue.send_message(body).id)
        marker.upload_blob(job_id.encode(), overwrite=True)
        return job_id

    def _first_job_id(self, marker: Any) -> str:
        for _ in range(50):  # the first enqueuer writes its id right after sending its message
            if job_id := marker.download_blob().readall().decode():
                return str(job_id)
            time.sleep(0.1)
        raise TimeoutError("the first enqueue of this key did not record its job id")

    def claim(self, worker: str, lease_seconds: float = 60.0) -> Job | None:
        """The next visible job, hidden from other workers for `lease_seconds`; None when there is none."""
        lease = min(max(1, math.ceil(lease_seconds)), MAX_VISIBILITY_S)
        while True:
            message = self.queue.receive_message(visibility_timeout=lease)
            if message is None:
                return None
            if message.dequeue_count is not None and message.dequeue_count > self.max_attempts:
                self._bury(message)
                continue
            body = json.loads(message.content)
            log.info("job claimed", extra={"job_id": message.id, "kind": body["kind"], "worker": worker})
            return Job(
                id=str(message.id),
                kind=str(body["kind"]),
                payload=dict(body["payload"]),
                attempts=int(message.dequeue_count or 1),
                receipt=str(message.pop_receipt),
            )

    def extend(self, job: Job, lease_seconds: float = 60.0) -> bool:
        """Push the lease of a job still being worked on; False if the worker lost it."""
        lease = min(max(1, math.ceil(lease_seconds)), MAX_VISIBILITY_S)
        try:
            updated = self.queue.update_message(job.id, self._receipt(job), visibility_timeout=lease)
        except (ResourceNotFoundError, HttpResponseError):
            return False
        with self._lock:
            self._receipts[job.receipt] = str(updated.pop_receipt)
        return True

    def complete(self, job: Job) -> None:
        """Remove a finished job. A lease that ran out meanwhile is left alone: another worker holds the job."""
        try:
            self.queue.delete_message(job.id, self._receipt(job, forget=True))
        except (ResourceNotFoundError, HttpResponseError) as exc:
            log.warning("job lease lost before completion", extra={"job_id": job.id, "error": type(exc).__name__})

    def release(self, job: Job, error: str, retry_in: float = 0.0) -> None:
        """Hand a failed job back: visible again after `retry_in` seconds, with the error kept for the record."""
        content = json.dumps({"kind": job.kind, "payload": job.payload, "error": error[:2000]})
        receipt = self._receipt(job, forget=True)
        try:
            if job.attempts >= self.max_attempts:
                self.queue.delete_message(job.id, receipt)  # first: only the lease holder may bury it
                self.poison.send_message(content)
                log.warning("job moved to the poison queue", extra={"job_id": job.id, "attempts": job.attempts})
                return
            delay = min(max(0, math.ceil(retry_in)), MAX_VISIBILITY_S)
            self.queue.update_message(job.id, receipt, content=content, visibility_timeout=delay)
        except (ResourceNotFoundError, HttpResponseError) as exc:
            log.warning("job lease lost before release", extra={"job_id": job.id, "error": type(exc).__name__})

    def _receipt(self, job: Job, *, forget: bool = False) -> str:
        with self._lock:
            receipt = self._receipts.pop(job.receipt, None) if forget else self._receipts.get(job.receipt)
        return receipt or job.receipt

    def pending(self) -> int:
        """Jobs not yet completed, in flight included (Azure's approximate count, exact on Azurite)."""
        return int(self.queue.get_queue_properties().approximate_message_count or 0)

    def dead_letters(self) -> list[dict[str, Any]]:
        """The jobs given up on, oldest first, as they were last released."""
        return [json.loads(m.content) for m in self.poison.peek_messages(max_messages=32)]

    def _bury(self, message: QueueMessage) -> None:
        self.poison.send_message(message.content)
        self.queue.delete_message(message.id, message.pop_receipt)
        log.warning("job moved to the poison queue", extra={"job_id": message.id, "attempts": message.dequeue_count})
