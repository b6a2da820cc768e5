"""OpenTelemetry traces, metrics and logs of the API, sent to Azure Monitor (Application Insights) when configured.

Off by default: the embedded product sends nothing anywhere. With STYLELENS_TELEMETRY__ENABLED=true and
STYLELENS_TELEMETRY__AZURE_MONITOR_CONNECTION_STRING set (the container app reads it from Key Vault), each request
becomes a server span with its route and status, request durations and search counts become metrics, and the
`stylelens` logs are exported with the trace they belong to. Like the logs, telemetry never carries an image, a
query's content or personal data: routes are templates, not URLs with ids.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.instrumentation.logging.handler import LoggingHandler
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, LogRecordExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import SpanKind, Status, StatusCode

from stylelens import __version__
from stylelens.config import TelemetrySettings


@dataclass
class Exporters:
    """Where telemetry goes: Azure Monitor in production, in-memory readers in the tests."""

    spans: SpanExporter
    metrics: MetricReader
    logs: LogRecordExporter


def azure_monitor_exporters(connection_string: str, *, export_interval_ms: int = 60_000) -> Exporters:
    """Azure Monitor's exporters for one Application Insights resource (no offline retry files on disk)."""
    from azure.monitor.opentelemetry.exporter import (
        AzureMonitorLogExporter,
        AzureMonitorMetricExporter,
        AzureMonitorTraceExporter,
    )

    options: dict[str, Any] = {"connection_string": connection_string, "disable_offline_storage": True}
    return Exporters(
        spans=AzureMonitorTraceExporter(**options),
        metrics=PeriodicExportingMetricReader(
            AzureMonitorMetricExporter(**options), export_interval_millis=export_interval_ms
        ),
        logs=AzureMonitorLogExporter(**options),
    )


@dataclass
class Telemetry:
    """The providers of one process, and the instruments StyleLens records."""

    tracer_provider: TracerProvider
    meter_provider: MeterProvider
    logger_provider: LoggerProvider
    log_handler: logging.Handler
    instruments: dict[str, Any] = field(default_factory=dict)

    @property
    def tracer(self) -> Any:
        return self.tracer_provider.get_tracer("stylelens", __version__)

    def flush(self) -> None:
        self.tracer_provider.force_flush()
        self.meter_provider.force_flush()
        self.logger_provider.force_flush()

    def shutdown(self) -> None:
        logging.getLogger("stylelens").removeHandler(self.log_handler)
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()
        self.logger_provider.shutdown()


def configure_telemetry(settings: TelemetrySettings, exporters: Exporters | None = None) -> Telemetry | None:
    """Providers for this process, or None when telemetry is off or has nowhere to go."""
    if not settings.enabled:
        return None
    if exporters is None:
        if not settings.azure_monitor_connection_string:
            return None
        exporters = azure_monitor_exporters(settings.azure_monitor_connection_string)
    resource = Resource.create({"service.name": settings.service_name, "service.version": __version__})
    tracer_provider = TracerProvider(resource=resource, sampler=ParentBased(TraceIdRatioBased(settings.sample_ratio)))
    tracer_provider.add_span_processor(BatchSpanProcessor(exporters.spans))
    meter_provider = MeterProvider(resource=resource, metric_readers=[exporters.metrics])
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(BatchLogRecordProcessor(exporters.logs))
    handler = LoggingHandler(level=logging.INFO, logger_provider=logger_provider)
    logging.getLogger("stylelens").addHandler(handler)
    meter = meter_provider.get_meter("stylelens", __version__)
    instruments = {
        "duration": meter.create_histogram("http.server.request.duration", unit="s", description="Request time"),
        "searches": meter.create_counter("stylelens.searches", description="Visual searches answered"),
    }
    return Telemetry(tracer_provider, meter_provider, logger_provider, handler, instruments)


def request_tracer(telemetry: Telemetry) -> Callable[[Any, Callable[[Any], Awaitable[Any]]], Awaitable[Any]]:
    """An HTTP middleware: one server span and one duration sample per request, named by its route template."""

    async def trace_request(request: Any, call_next: Callable[[Any], Awaitable[Any]]) -> Any:
        started = time.perf_counter()
        with telemetry.tracer.start_as_current_span(
            f"{request.method} {request.url.path}", kind=SpanKind.SERVER
        ) as span:
            response = await call_next(request)
            route = _route_template(request)
            span.update_name(f"{request.method} {route}")
            span.set_attribute("http.request.method", request.method)
            span.set_attribute("http.route", route)
            span.set_attribute("http.response.status_code", response.status_code)
            if response.status_code >= 500:
                span.set_status(Status(StatusCode.ERROR))
        attributes = {"http.request.method": request.method, "http.route": route,
                      "http.response.status_code": response.status_code}  # fmt: skip
        telemetry.instruments["duration"].record(time.perf_counter() - started, attributes)
        if route == "/v1/search" and response.status_code == 200:
            telemetry.instruments["searches"].add(1)
        return response

    return trace_request


def _route_template(request: Any) -> str:
    """The matched route with its parameters as names (/v1/products/{product_id}): no ids leave the process."""
    if request.scope.get("route") is None:
        return "unmatched"
    path = str(request.url.path)
    for name, value in sorted(request.path_params.items(), key=lambda kv: -len(str(kv[1]))):
        path = path.replace(f"/{value}", f"/{{{name}}}")
    return path


def install_telemetry(app: Any, settings: TelemetrySettings, exporters: Exporters | None = None) -> Telemetry | None:
    """Trace and measure the app's requests when telemetry is on; the providers flush at process exit."""
    telemetry = configure_telemetry(settings, exporters)
    if telemetry is not None:
        app.state.telemetry = telemetry
        app.middleware("http")(request_tracer(telemetry))
    return telemetry
