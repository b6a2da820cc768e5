"""Operators see each request as a trace, its duration as a metric and its logs beside the trace; with a connection
string, the same telemetry reaches an Application Insights ingestion endpoint (a loopback stand-in here)."""

from __future__ import annotations

import gzip
import json
import logging
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from stylelens.api.app import create_app
from stylelens.config import Settings, TelemetrySettings
from stylelens.services import Services
from stylelens.telemetry import Exporters, azure_monitor_exporters, configure_telemetry, install_telemetry


def test_telemetry_is_off_unless_asked_for() -> None:
    assert configure_telemetry(TelemetrySettings()) is None
    assert configure_telemetry(TelemetrySettings(enabled=True)) is None  # nowhere to send it


def test_requests_become_spans_metrics_and_correlated_logs(
    make_settings: Callable[[Path], Settings], tmp_path: Path
) -> None:
    settings = make_settings(tmp_path)
    app = create_app(settings, Services(settings))
    exporters = Exporters(InMemorySpanExporter(), InMemoryMetricReader(), InMemoryLogRecordExporter())
    telemetry = install_telemetry(app, TelemetrySettings(enabled=True), exporters)
    assert telemetry is not None
    logger, level = logging.getLogger("stylelens"), logging.getLogger("stylelens").level
    logger.setLevel(logging.INFO)  # what `stylelens serve` sets
    try:
        with TestClient(app) as client:
            assert client.get("/healthz").status_code == 200
            assert client.get("/v1/products/FI-nobody").status_code == 404
        telemetry.flush()
        spans = {s.name: s for s in exporters.spans.get_finished_spans()}  # type: ignore[attr-defined]
        assert {"GET /healthz", "GET /v1/products/{product_id}"} <= set(spans), set(spans)
        missing = spans["GET /v1/products/{product_id}"]
        assert missing.attributes["http.response.status_code"] == 404
        assert "FI-nobody" not in json.dumps(dict(missing.attributes))  # route templates, never ids
        metrics = exporters.metrics.get_metrics_data()  # type: ignore[attr-defined]
        names = {m.name for rm in metrics.resource_metrics for sm in rm.scope_metrics for m in sm.metrics}
        assert "http.server.request.duration" in names
        logs = [r.log_record for r in exporters.logs.get_finished_logs()]  # type: ignore[attr-defined]
        request_logs = [r for r in logs if r.body == "request" and r.attributes.get("status") == 404]
        assert request_logs and request_logs[0].trace_id == missing.context.trace_id
    finally:
        logger.setLevel(level)
        telemetry.shutdown()


class _Ingestion(BaseHTTPRequestHandler):
    received: list[tuple[str, list[dict[str, object]]]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        envelopes = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
        flat = [e for item in envelopes for e in (item if isinstance(item, list) else [item])]
        self.received.append((self.path, flat))
        reply = json.dumps({"itemsReceived": len(flat), "itemsAccepted": len(flat), "errors": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def ingestion() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ingestion)
    _Ingestion.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_azure_monitor_receives_traces_and_logs(ingestion: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL", "true")  # no calls home to Microsoft
    monkeypatch.setenv("APPLICATIONINSIGHTS_SDKSTATS_DISABLED", "true")  # nor exporter stats after the test
    connection = f"InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint={ingestion}"
    settings = TelemetrySettings(enabled=True, azure_monitor_connection_string=connection)
    telemetry = configure_telemetry(settings, azure_monitor_exporters(connection, export_interval_ms=3_600_000))
    assert telemetry is not None
    try:
        with telemetry.tracer.start_as_current_span("catalog sync"):
            logging.getLogger("stylelens.test").warning("feed had 2 rejected rows")
        telemetry.flush()
    finally:
        telemetry.shutdown()
    envelopes = [e for path, batch in _Ingestion.received if path.startswith("/v2.1/track") for e in batch]
    kinds = {e["data"]["baseType"]: e for e in envelopes}
    assert "RequestData" in kinds or "RemoteDependencyData" in kinds
    assert any(e["data"]["baseData"].get("name") == "catalog sync" for e in envelopes)
    messages = [e["data"]["baseData"].get("message") for e in envelopes if e["data"]["baseType"] == "MessageData"]
    assert "feed had 2 rejected rows" in messages
    assert all(e["iKey"] == "00000000-0000-0000-0000-000000000001" for e in envelopes)


def test_logs_go_to_the_current_stderr_after_it_is_swapped_and_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A command run in process (a test runner's CliRunner) sets logging up on its own stderr, then closes it."""
    import io
    import logging
    import sys

    from stylelens.observability import configure_logging

    root = logging.getLogger("stylelens")
    saved = root.handlers[:], root.level, root.propagate
    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    try:
        configure_logging(json_lines=True)
        logging.getLogger("stylelens.test").info("one")
        assert '"message": "one"' in first.getvalue()
        first.close()
        second = io.StringIO()
        monkeypatch.setattr(sys, "stderr", second)
        errors: list[object] = []
        monkeypatch.setattr(logging.Handler, "handleError", lambda self, record: errors.append(sys.exc_info()[1]))
        logging.getLogger("stylelens.test").info("two")
        assert errors == [] and '"message": "two"' in second.getvalue()
    finally:
        root.handlers[:], root.level, root.propagate = saved
