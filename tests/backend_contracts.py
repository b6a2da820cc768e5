"""One contract per interface, as test mixins: every backend of a kind passes the same tests.

A backend's test class inherits the mixin and provides one fixture: `store` (BlobStore), `make_index`
(a factory: dim -> VectorIndex, reopening the same storage when called again) or `queue` (JobQueue).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pytest

from stylelens.errors import InvalidInput, NotFound
from stylelens.index.base import IndexFilter, ItemAttributes, VectorIndex
from stylelens.jobs.base import JobQueue
from stylelens.storage.blobs import BlobStore

DIM = 32


class BlobStoreContract:
    """Images and masks go in and come back byte for byte, under safe keys only."""

    def test_put_get_overwrite_delete(self, store: BlobStore) -> None:
        store.put("products/FI-1.jpg", b"\xff\xd8first", "image/jpeg")
        assert store.get("products/FI-1.jpg") == b"\xff\xd8first"
        assert store.exists("products/FI-1.jpg")
        store.put("products/FI-1.jpg", b"\xff\xd8second", "image/jpeg")
        assert store.get("products/FI-1.jpg") == b"\xff\xd8second"
        store.delete("products/FI-1.jpg")
        assert not store.exists("products/FI-1.jpg")
        with pytest.raises(NotFound):
            store.get("products/FI-1.jpg")
        store.delete("products/FI-1.jpg")  # deleting twice is fine (erasure may retry)

    def test_keys_lists_by_prefix_in_order(self, store: BlobStore) -> None:
        for key in ("products/b.jpg", "products/a.jpg", "masks/a.png"):
            store.put(key, b"x", "image/png")
        assert store.keys("products/") == ["products/a.jpg", "products/b.jpg"]
        assert store.keys() == ["masks/a.png", "products/a.jpg", "products/b.jpg"]

    def test_a_large_image_round_trips(self, store: BlobStore) -> None:
        data = np.random.default_rng(0).bytes(6 * 1024 * 1024)  # above the SDK's single-request upload size
        store.put("products/big.jpg", data, "image/jpeg")
        assert store.get("products/big.jpg") == data

    @pytest.mark.parametrize("key", ["../escape.jpg", "/etc/passwd", "a/../../b", "", "products/ space.jpg"])
    def test_keys_that_could_escape_are_refused(self, store: BlobStore, key: str) -> None:
        with pytest.raises(InvalidInput):
            store.put(key, b"x", "image/jpeg")
        with pytest.raises(InvalidInput):
            store.get(key)


def unit_vectors(n: int, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def attrs(i: int) -> ItemAttributes:
    return ItemAttributes(
        category=("shirt", "dress", "coat")[i % 3],
        price=10.0 + i,
        in_stock=i % 2 == 0,
        colors=(("navy", "white", "red")[i % 3], "black") if i % 5 == 0 else (("navy", "white", "red")[i % 3],),
    )


class VectorIndexContract:
    """The catalog stays searchable, filtered and exact about membership through adds, updates and deletes."""

    N = 2000

    @pytest.fixture
    def filled(self, make_index: Callable[[int], VectorIndex]) -> tuple[VectorIndex, np.ndarray]:
        index = make_index(DIM)
        vectors = unit_vectors(self.N)
        for start in range(0, self.N, 500):
            labels = list(range(start, start + 500))
            index.upsert(labels, vectors[labels], [attrs(i) for i in labels])
        index.save()
        return index, vectors

    def test_an_item_finds_itself_first_and_recall_is_high(self, filled: tuple[VectorIndex, np.ndarray]) -> None:
        index, vectors = filled
        exact = np.argsort(-vectors[:50] @ vectors.T, axis=1)[:, :10]
        found = [index.search(vectors[i], 10) for i in range(50)]
        assert all(f[0].label == i and f[0].score == pytest.approx(1.0, abs=1e-4) for i, f in enumerate(found))
        assert all(a.score >= b.score for f in found for a, b in zip(f, f[1:], strict=False))
        recall = np.mean([len({n.label for n in f} & set(e)) / 10 for f, e in zip(found, exact, strict=True)])
        assert recall >= 0.95

    def test_filters_keep_only_matching_items(self, filled: tuple[VectorIndex, np.ndarray]) -> None:
        index, vectors = filled
        where = IndexFilter(category="dress", max_price=1000.0, in_stock=True, color="white")
        hits = index.search(vectors[0], 20, where)
        assert len(hits) == 20
        for hit in hits:
            a = index.attributes(hit.label)
            assert a is not None and a.category == "dress" and a.price <= 1000 and a.in_stock and "white" in a.colors

    def test_a_second_colour_matches_too(self, filled: tuple[VectorIndex, np.ndarray]) -> None:
        index, vectors = filled
        hits = index.search(vectors[1], 5, IndexFilter(color="black", category="coat"))
        assert hits and all(h.label % 5 == 0 and h.label % 3 == 2 for h in hits)

    def test_a_filter_nothing_passes_gives_no_results(self, filled: tuple[VectorIndex, np.ndarray]) -> None:
        index, vectors = filled
        assert index.search(vectors[0], 10, IndexFilter(category="sandals")) == []

    def test_delete_update_and_readd(self, filled: tuple[VectorIndex, np.ndarray]) -> None:
        index, vectors = filled
        index.delete([5])
        assert 5 not in {n.label for n in index.search(vectors[5], 10)}
        assert len(index) == self.N - 1 and 5 not in index.labels() and index.attributes(5) is None
        index.upsert([5], vectors[6:7], [attrs(5)])  # re-added with another vector
        assert {n.label for n in index.search(vectors[6], 2)} == {5, 6}
        index.set_attributes(6, ItemAttributes("coat", 1.0, False))
        assert index.attributes(6) == ItemAttributes("coat", 1.0, False)
        assert 6 in {n.label for n in index.search(vectors[6], 3, IndexFilter(category="coat", in_stock=False))}

    def test_reopened_index_has_the_same_items(
        self, filled: tuple[VectorIndex, np.ndarray], make_index: Callable[[int], VectorIndex]
    ) -> None:
        index, vectors = filled
        index.delete([7])
        index.save()
        again = make_index(DIM)
        assert len(again) == len(index) and again.labels() == index.labels()
        assert [n.label for n in again.search(vectors[3], 5)] == [n.label for n in index.search(vectors[3], 5)]

    def test_wrong_dimension_is_refused(
        self, filled: tuple[VectorIndex, np.ndarray], make_index: Callable[[int], VectorIndex]
    ) -> None:
        filled[0].save()
        with pytest.raises(ValueError, match="dim"):
            make_index(DIM + 1)


class JobQueueContract:
    """Jobs are handed out once at a time, come back when a worker dies or fails, and go when completed.

    The backend's fixture gives up on a job after 3 attempts.
    """

    def test_enqueue_claim_complete(self, queue: JobQueue) -> None:
        job_id = queue.enqueue("catalog.ingest", {"product_id": "FI-1", "attempt": 1})
        assert queue.pending() == 1
        job = queue.claim("worker-a", lease_seconds=30)
        assert job is not None and job.id == job_id
        assert (job.kind, job.payload) == ("catalog.ingest", {"product_id": "FI-1", "attempt": 1})
        assert queue.claim("worker-b", lease_seconds=30) is None  # leased: nobody else gets it
        queue.complete(job)
        assert queue.pending() == 0
        assert queue.claim("worker-b") is None

    def test_a_job_whose_worker_died_is_handed_out_again(self, queue: JobQueue) -> None:
        queue.enqueue("catalog.ingest", {"n": 1})
        first = queue.claim("worker-a", lease_seconds=1)
        assert first is not None
        time.sleep(1.5)
        second = queue.claim("worker-b", lease_seconds=30)
        assert second is not None and second.id == first.id and second.attempts == first.attempts + 1
        queue.complete(second)
        assert queue.pending() == 0

    def test_a_released_job_comes_back_after_its_delay(self, queue: JobQueue) -> None:
        queue.enqueue("events.deliver", {"event": "e-1"})
        job = queue.claim("worker-a")
        assert job is not None
        queue.release(job, "shop returned 503", retry_in=1)
        assert queue.claim("worker-a") is None  # not before the delay
        assert queue.pending() == 1
        time.sleep(1.5)
        again = queue.claim("worker-a")
        assert again is not None and again.payload == {"event": "e-1"} and again.attempts == job.attempts + 1

    def test_every_job_is_delivered_once_to_competing_workers(self, queue: JobQueue) -> None:
        for n in range(6):
            queue.enqueue("catalog.ingest", {"n": n})
        seen = []
        while (job := queue.claim(f"worker-{len(seen) % 2}", lease_seconds=30)) is not None:
            seen.append(job.payload["n"])
            queue.complete(job)
        assert sorted(seen) == list(range(6))
        assert queue.pending() == 0

    def test_a_key_makes_enqueue_idempotent(self, queue: JobQueue) -> None:
        first = queue.enqueue("catalog.upsert", {"product_id": "FI-1"}, key="webhook:delivery-1")
        again = queue.enqueue("catalog.upsert", {"product_id": "FI-1"}, key="webhook:delivery-1")
        other = queue.enqueue("catalog.upsert", {"product_id": "FI-2"}, key="webhook:delivery-2")
        assert first == again != other
        assert queue.pending() == 2

    def test_a_heartbeat_keeps_the_job_and_a_lost_lease_is_reported(self, queue: JobQueue) -> None:
        queue.enqueue("catalog.sync", {"source": "feed.csv"})
        job = queue.claim("worker-a", lease_seconds=1)
        assert job is not None
        time.sleep(0.5)
        assert queue.extend(job, lease_seconds=3)
        time.sleep(1.0)  # past the first lease
        assert queue.claim("worker-b", lease_seconds=1) is None
        queue.complete(job)
        assert queue.pending() == 0

        queue.enqueue("catalog.sync", {"source": "feed.csv"})
        slow = queue.claim("worker-a", lease_seconds=1)
        assert slow is not None
        time.sleep(1.5)
        taken = queue.claim("worker-b", lease_seconds=30)
        assert taken is not None and taken.id == slow.id
        assert not queue.extend(slow, lease_seconds=30)
        queue.complete(slow)  # too late: the job stays with worker-b
        assert queue.pending() == 1
        queue.complete(taken)
        assert queue.pending() == 0

    def test_a_job_that_keeps_failing_is_set_aside(self, queue: JobQueue) -> None:
        queue.enqueue("catalog.ingest", {"product_id": "FI-bad"})
        for _ in range(3):
            job = queue.claim("worker-a")
            assert job is not None
            queue.release(job, "image cannot be decoded")
        assert queue.claim("worker-a") is None
        assert queue.pending() == 0
        assert queue.dead_letters() == [  # type: ignore[attr-defined]
            {"kind": "catalog.ingest", "payload": {"product_id": "FI-bad"}, "error": "image cannot be decoded"}
        ]
