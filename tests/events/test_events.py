"""Shopper events are kept once each and reach the shop as signed webhooks, retried, then dead-lettered."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from stylelens.config import IntegrationSettings, Settings
from stylelens.errors import InvalidInput
from stylelens.events.attribution import attributed_url
from stylelens.events.intake import EventInput, record_event
from stylelens.events.outbound import verify
from stylelens.jobs.handlers import job_handlers
from stylelens.jobs.worker import Worker
from stylelens.services import Services
from stylelens.storage.db import transaction
from stylelens.storage.integration_models import DeadLetter, ShopperEvent

SECRET = "shop-webhook-secret"


class Receiver:
    """The shop's webhook endpoint on loopback: answers `failures` times 503, then 200; checks signatures."""

    def __init__(self, failures: int) -> None:
        self.failures, self.received, self.signatures_ok = failures, [], []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.signatures_ok.append(verify(SECRET, self.headers["X-StyleLens-Signature"], body))
                if outer.failures > 0:
                    outer.failures -= 1
                    self.send_response(503)
                else:
                    outer.received.append((self.headers["X-StyleLens-Delivery"], json.loads(body)))
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/stylelens-events"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(failures=2)
    yield r
    r.close()


def make_services(tmp_path: Path, make_settings: Callable[[Path], Settings], url: str) -> Services:
    settings = make_settings(tmp_path)
    settings.integration = IntegrationSettings(events_forward_url=url, events_forward_secret=SECRET, job_max_attempts=3)
    return Services(settings)


def drain(services: Services) -> None:
    """Run the worker until the queue is empty, skipping the backoff waits."""
    worker = Worker(services.job_queue, job_handlers(services))
    for _ in range(20):
        with transaction(services.sessions) as session:
            session.execute(text("UPDATE jobs SET available_at = '2000-01-01' WHERE status = 'queued'"))
        if not worker.run_once() and services.job_queue.pending() == 0:
            return


def test_an_event_is_recorded_once_and_delivered_signed_after_retries(
    tmp_path: Path, make_settings: Callable[[Path], Settings], receiver: Receiver
) -> None:
    services = make_services(tmp_path, make_settings, receiver.url)
    event = EventInput("purchase", event_id="evt-1", product_id="FI-1", details={"order_id": "o-9", "value": 49.9})
    assert record_event(services.sessions, event, source="shop", queue=services.job_queue) == ("evt-1", True)
    assert record_event(services.sessions, event, source="shop", queue=services.job_queue) == ("evt-1", False)
    drain(services)
    assert receiver.received == [("evt-1", receiver.received[0][1])] and receiver.received[0][1]["details"] == {
        "order_id": "o-9",
        "value": 49.9,
    }
    assert receiver.signatures_ok == [True, True, True]  # two 503s, then accepted
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ShopperEvent)) == 1
        assert session.scalar(select(func.count()).select_from(DeadLetter)) == 0


def test_a_delivery_that_keeps_failing_goes_to_the_dead_letter_table(
    tmp_path: Path, make_settings: Callable[[Path], Settings]
) -> None:
    down = Receiver(failures=100)
    try:
        services = make_services(tmp_path, make_settings, down.url)
        record_event(services.sessions, EventInput("like", product_id="FI-2"), source="app", queue=services.job_queue)
        drain(services)
    finally:
        down.close()
    assert len(down.signatures_ok) == 3 and services.job_queue.pending() == 0
    with services.sessions() as session:
        (letter,) = session.scalars(select(DeadLetter)).all()
    assert letter.kind == "events.deliver" and "503" in letter.error and letter.attempts == 3


def test_signatures_refuse_tampering_and_old_timestamps() -> None:
    from stylelens.events.outbound import signature

    header = signature(SECRET, 1_700_000_000, b'{"a":1}')
    assert verify(SECRET, header, b'{"a":1}', now=1_700_000_010)
    assert not verify(SECRET, header, b'{"a":2}', now=1_700_000_010)
    assert not verify("other", header, b'{"a":1}', now=1_700_000_010)
    assert not verify(SECRET, header, b'{"a":1}', now=1_700_001_000)


@pytest.mark.parametrize(
    ("event", "words"),
    [
        (EventInput("bookmark"), "unknown event type"),
        (EventInput("like"), "needs a product_id"),
        (EventInput("purchase", product_id="FI-1"), "order_id"),
    ],
)
def test_bad_events_are_refused(tmp_path: Path, event: EventInput, words: str) -> None:
    with pytest.raises(InvalidInput, match=words):
        record_event(None, event, source="app")  # type: ignore[arg-type]


def test_product_links_carry_attribution_parameters() -> None:
    url = attributed_url("https://shop.example/p/1?color=red&utm_source=old", campaign="spring", ref="s-42")
    assert url == (
        "https://shop.example/p/1?color=red&utm_source=stylelens&utm_medium=visual_search"
        "&utm_campaign=spring&sl_ref=s-42"
    )
