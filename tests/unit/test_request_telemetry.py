"""The per-request telemetry's cheap paths give what the general ones gave.

The access line written directly is the structlog + ecs-logging pipeline's line, byte for
byte; the RED metrics tallied per process export what one `observe` per request would.
"""

from __future__ import annotations

import asyncio
import datetime
import time

import ecs_logging
from prometheus_client import REGISTRY, CollectorRegistry, Histogram

from hotpot.telemetry.logging import _redact, access_line
from hotpot.telemetry.metrics import LATENCY_BUCKETS, RequestTally


def _pipeline_line(
    timestamp: float, request_id: str, method: str, path: str, route: str, status: int, ns: int
) -> str:
    stamp = datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC)
    event = {
        "event": "request",
        "http.request.method": method,
        "url.path": path,
        "http.route": route,
        "http.response.status_code": status,
        "event.duration": ns,
        "http.request.id": request_id,
        "@timestamp": stamp.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
    }
    return str(ecs_logging.StructlogFormatter()(None, "info", dict(_redact(None, "info", event))))


def test_the_access_line_is_the_pipelines_own() -> None:
    now = time.time()
    cases = [
        ("abc123", "GET", "/health", "/health", 200, 8_763),
        ("trace-me:1.2", "POST", "/api/v1/orders", "/api/v1/orders", 201, 12_345_678),
        ("x", "GET", '/api/v1/menu/"quoted"\\back', "<unmatched>", 404, 0),
        ("y", "GET", "/api/v1/ménu/日本", "<unmatched>", 404, 1),
    ]
    for request_id, method, path, route, status, ns in cases:
        fast = access_line(now, request_id, method, path, route, status, ns)
        assert fast == _pipeline_line(now, request_id, method, path, route, status, ns)


def _bucket_values(registry: CollectorRegistry, name: str, path: str) -> dict[str, float]:
    values: dict[str, float] = {}
    for metric in registry.collect():
        for sample in metric.samples:
            if sample.name.startswith(name) and sample.labels.get("path") == path:
                key = sample.name.removeprefix(name) + sample.labels.get("le", "")
                values[key] = sample.value
    return values


def test_tallied_requests_export_what_observe_would() -> None:
    seconds = [0.0005, 0.001, 0.0010001, 0.003, 0.003, 0.7, 10.0, 12.0]
    reference_registry = CollectorRegistry()
    reference = Histogram(
        "http_request_duration_seconds",
        "reference",
        ["method", "path"],
        buckets=LATENCY_BUCKETS,
        registry=reference_registry,
    )
    for value in seconds:
        reference.labels("GET", "/tally-test").observe(value)
    tally = RequestTally()
    for value in seconds:
        tally.record("GET", "/tally-test", 200, value)
    tally.flush()
    name = "http_request_duration_seconds"
    expected = _bucket_values(reference_registry, name, "/tally-test")
    exported = _bucket_values(REGISTRY, name, "/tally-test")
    assert {k: v for k, v in exported.items() if not k.startswith("_created")} == {
        k: v for k, v in expected.items() if not k.startswith("_created")
    }
    count = REGISTRY.get_sample_value(
        "http_requests_total", {"method": "GET", "path": "/tally-test", "status": "200"}
    )
    assert count == len(seconds)


async def test_a_tally_reaches_the_metrics_without_a_scrape() -> None:
    tally = RequestTally()
    labels = {"method": "GET", "path": "/tally-timer", "status": "204"}
    tally.record("GET", "/tally-timer", 204, 0.002)
    deadline = time.monotonic() + 5
    while REGISTRY.get_sample_value("http_requests_total", labels) != 1.0:
        assert time.monotonic() < deadline, "the tally was not flushed by its timer"
        await asyncio.sleep(0.05)
