"""Erasure goes on when one store fails, records what is pending, and the privacy job finishes it later."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from shopper_app import Shop, register

from stylelens.privacy.erasure import erase_shopper
from stylelens.privacy.retention import run_privacy_jobs
from stylelens.privacy.rights import ShopperExport, register_area, unregister_area
from stylelens.storage.shopper_models import ErasureJob, Shopper


class FlakyStore:
    """A data area whose store is down for its first erasure attempt."""

    name = "flaky-store"
    description = "A test store that fails once."

    def __init__(self) -> None:
        self.kept: set[str] = set()
        self.failures_left = 1

    def export(self, services: Any, shopper_id: str) -> ShopperExport:
        return ShopperExport(sorted(self.kept & {shopper_id}))

    def erase(self, services: Any, shopper_id: str) -> int:
        if self.failures_left:
            self.failures_left -= 1
            raise ConnectionError("store unreachable")
        self.kept.discard(shopper_id)
        return 1


@pytest.fixture
def flaky() -> Iterator[FlakyStore]:
    store = FlakyStore()
    register_area(store)
    yield store
    unregister_area(store.name)


def test_a_failing_store_is_retried_until_the_erasure_is_done(shop: Shop, flaky: FlakyStore) -> None:
    ada = register(shop.client, "ada@example.org")
    flaky.kept.add(ada.id)

    job = erase_shopper(shop.services, ada.id)
    assert job.status == "retrying" and job.areas_failed == {"flaky-store": "ConnectionError"}
    assert "profile" in job.areas_done and ada.id in flaky.kept
    with shop.services.sessions() as session:
        assert session.get(Shopper, ada.id) is None  # everything else is gone already
    assert shop.client.get("/v1/me", headers=ada.headers).status_code == 401

    report = run_privacy_jobs(shop.services)
    assert report["erasures_retried"] == 1 and report["erasures_still_pending"] == 0
    assert ada.id not in flaky.kept
    with shop.services.sessions() as session:
        done = session.get(ErasureJob, job.id)
        assert done is not None and done.status == "done" and done.pending == {} and done.finished_at is not None
