"""Ops endpoints as Kubernetes reads them: /health (alive), /ready (can serve), /metrics."""

from __future__ import annotations

import os

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.types import Scope

from hotpot.http.context import Ctx
from hotpot.http.middleware import FastAnswer
from hotpot.http.problems import problem_response
from hotpot.telemetry.metrics import REQUESTS

router = APIRouter(tags=["ops"])

READY_TIMEOUT_SECONDS = 0.5


_HEALTH = b'{"status":"ok"}'


@router.get("/health", responses={200: {"description": "the process is alive"}})
async def health() -> dict[str, str]:
    """Liveness: no dependency checks, so a database outage never restarts the pods."""
    return {"status": "ok"}


def health_read(scope: Scope) -> FastAnswer:
    """`/health` as `FastReads` serves it: the bytes the route above answers."""
    return 200, [(b"content-length", b"15"), (b"content-type", b"application/json")], _HEALTH


@router.get(
    "/ready",
    responses={
        200: {"description": "this instance can serve"},
        503: {"description": "the primary database did not answer in time"},
    },
)
async def ready(ctx: Ctx) -> Response:
    if await ctx.db.ping(READY_TIMEOUT_SECONDS):
        return Response(b'{"status":"ready"}', media_type="application/json")
    return problem_response(503, "not_ready", "the primary database did not answer within 500 ms")


def _registry() -> CollectorRegistry:
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        # Several worker processes: aggregate every worker's files into one answer.
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
)
async def metrics() -> Response:
    REQUESTS.flush()  # this process's latest requests; the other workers' are <= 1 s old
    return Response(generate_latest(_registry()), media_type=CONTENT_TYPE_LATEST)
