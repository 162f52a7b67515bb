"""Ops endpoints as Kubernetes reads them: /health (alive), /ready (can serve), /metrics.

/metrics is on the API's port only in development without METRICS_PORT (`metrics_router`);
otherwise `hotpot serve` serves it on a port of its own (telemetry/exposition.py).
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import Scope

from hotpot.http.context import Ctx
from hotpot.http.middleware import FastAnswer
from hotpot.http.problems import problem_response
from hotpot.telemetry.exposition import registry
from hotpot.telemetry.metrics import REQUESTS

router = APIRouter(tags=["ops"])
metrics_router = APIRouter(tags=["ops"])

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


@metrics_router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
)
async def metrics() -> Response:
    REQUESTS.flush()  # this process's latest requests; the other workers' are <= 1 s old
    return Response(generate_latest(registry()), media_type=CONTENT_TYPE_LATEST)
