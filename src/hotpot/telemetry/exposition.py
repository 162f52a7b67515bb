"""Serving /metrics: one registry view and one listener of its own port, for every process.

`hotpot serve` (METRICS_PORT) and `hotpot worker` (WORKER_METRICS_PORT) both start
`start_listener`: prometheus-client's small threaded HTTP server on HOST:PORT, beside the
public API rather than behind the load balancer. With PROMETHEUS_MULTIPROC_DIR set (several
uvicorn workers in one `serve`) the answer aggregates every worker's files, so one scrape of
one port sees the whole process group.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from threading import Thread
from wsgiref.simple_server import WSGIServer

from prometheus_client import REGISTRY, CollectorRegistry, start_http_server
from prometheus_client.multiprocess import MultiProcessCollector


def registry() -> CollectorRegistry:
    """What /metrics answers from: every worker's files in multiprocess mode, else ours."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        aggregated = CollectorRegistry()
        MultiProcessCollector(aggregated)  # type: ignore[no-untyped-call]
        return aggregated
    return REGISTRY


class MetricsPortTaken(RuntimeError):
    """The metrics port is bound by another process; the message says how to choose another."""


@dataclass
class Listener:
    server: WSGIServer
    thread: Thread

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_listener(host: str, port: int, *, who: str, remedy: str) -> Listener:
    """Serve /metrics on host:port from a daemon thread; `remedy` names the setting to change."""
    try:
        server, thread = start_http_server(port, addr=host, registry=registry())
    except OSError as exc:
        raise MetricsPortTaken(
            f"{who}: the metrics port {host}:{port} is taken ({exc.strerror}); give this"
            f" process another one with {remedy} (0 turns metrics off)"
        ) from exc
    return Listener(server, thread)
