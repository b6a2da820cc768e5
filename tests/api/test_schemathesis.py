"""Property-based API test: schemathesis generates requests from /openapi.json for every operation; the service
must never answer 5xx. Signed-in operations get a fresh device session that consented to every purpose.

Bounded for CI: MAX_EXAMPLES requests per operation (override with STYLELENS_SCHEMATHESIS_EXAMPLES).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from stylelens.api.app import create_app
from stylelens.catalog.demo_feed import demo_catalog_items
from stylelens.config import Settings
from stylelens.privacy.consent import PURPOSES
from stylelens.services import Services
from stylelens.storage.db import transaction

MAX_EXAMPLES = int(os.environ.get("STYLELENS_SCHEMATHESIS_EXAMPLES", "10"))
# 5xx that schemathesis found in operations owned by other parts, reported to their owners; skipped here so this
# test keeps guarding every other operation. Remove a line once its fix lands (the run then covers it again).
KNOWN_5XX: dict[str, str] = {}


@pytest.fixture(scope="module")
def fuzzed_app(
    tmp_path_factory: pytest.TempPathFactory, make_settings: Callable[[Path], Settings]
) -> Iterator[FastAPI]:
    settings = make_settings(tmp_path_factory.mktemp("fuzz"))
    settings.security.sign_in_per_minute = 10_000  # exercise validation, not the limiter (tested on its own)
    services = Services(settings)
    services.ingestor.ingest(demo_catalog_items(7, 12, settings.catalog.shop_url))
    app = create_app(settings, services)
    with TestClient(app):  # runs the lifespan (warm-up) once
        yield app


def _consenting_device(app: FastAPI) -> str:
    services: Services = app.state.services
    signed = services.accounts.start_device()
    with transaction(services.sessions) as session:
        for purpose in PURPOSES:
            services.privacy.consent.decide(session, signed.shopper_id, purpose, True)
    return signed.token


def test_no_operation_answers_5xx(fuzzed_app: FastAPI) -> None:
    # schemathesis' pytest plugin does not load under this pytest; its strategies are driven with hypothesis here.
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)
    failures: list[str] = []
    operations = 0
    statuses: Counter[tuple[str, int]] = Counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        if f"{operation.method.upper()} {operation.path}" in KNOWN_5XX:
            continue
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        def run(case: Any) -> None:
            response = case.call(headers={"Authorization": f"Bearer {_consenting_device(fuzzed_app)}"})
            statuses[(f"{case.method} {case.path}", response.status_code // 100)] += 1
            case.validate_response(response, checks=[not_a_server_error])

        try:
            run()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure, report them together
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:600]}")
    assert operations >= 10
    print(f"{operations} operations, {sum(statuses.values())} requests:", dict(sorted(statuses.items())))
    # The generated requests got through validation and authentication, not only refusals.
    assert statuses[("GET /v1/me", 2)] >= 1 and statuses[("GET /v1/me/consents", 2)] >= 1
    assert sum(n for (_, kind), n in statuses.items() if kind == 2) >= operations
    assert failures == [], "\n\n".join(failures)
