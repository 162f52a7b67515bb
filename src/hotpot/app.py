"""The composition root: builds the adapters once and wires every slice into one app."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from hotpot.accounts.api import router as accounts_router
from hotpot.bootstrap import build_context, close_context
from hotpot.config import Settings
from hotpot.context import AppContext
from hotpot.domain.access import AccessRole
from hotpot.governance.api import router as governance_router
from hotpot.governance.schemas import publish_voting_bounds
from hotpot.http import docs, problems
from hotpot.http.auth import require_roles
from hotpot.http.middleware import FastReads, RequestContext
from hotpot.http.query import refuse_unknown_query
from hotpot.menu.api import menu_read
from hotpot.menu.api import router as menu_router
from hotpot.network.api import router as network_router
from hotpot.ops import gauges
from hotpot.ops.api import health_read, metrics_router
from hotpot.ops.api import router as ops_router
from hotpot.orders.api import router as orders_router
from hotpot.registry.api import router as registry_router
from hotpot.sales.api import router as sales_router
from hotpot.settlement.api import gateway_router as settlement_gateway_router
from hotpot.settlement.api import router as settlement_router
from hotpot.wallets.api import router as wallets_router
from hotpot.web.routes import install as install_web_pages

__all__ = ["app_from_environment", "build_context", "check_dependencies", "create_app"]

log = structlog.get_logger(__name__)

DEPENDENCY_CHECK_SECONDS = 10.0


def _dependency_checks(ctx: AppContext) -> list[tuple[str, Callable[[], Awaitable[object]]]]:
    return [
        ("database", lambda: ctx.db.ping(1.0)),
        ("cache", ctx.cache.ping),
        ("replica", ctx.db.check_replica),
        ("gauges", lambda: gauges.refresh(ctx)),
    ]


async def check_dependencies(ctx: AppContext) -> list[str]:
    """One pass over the dependency gauges; the names of the checks that failed.

    A failure never fails a probe nor stops the other checks, but it is logged with its
    type: a broken gauge must not go quiet.
    """
    failed = []
    for name, check in _dependency_checks(ctx):
        try:
            await check()
        except Exception as exc:
            failed.append(name)
            log.warning(
                "dependency check failed", check=name, error_type=type(exc).__name__, error=str(exc)
            )
    return failed


async def _watch_dependencies(ctx: AppContext) -> None:
    """Keep the dependency gauges current."""
    while True:
        await check_dependencies(ctx)
        await asyncio.sleep(DEPENDENCY_CHECK_SECONDS)


def _publish_settings_in_openapi(app: FastAPI, settings: Settings) -> None:
    """The OpenAPI document states the bounds in force where a setting decides them."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            publish_voting_bounds(build(), settings.periods.governance)
        assert app.openapi_schema is not None  # `build` stored it
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: Settings) -> FastAPI:
    ctx = build_context(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(_watch_dependencies(ctx))]
        stop_relay = asyncio.Event()
        if settings.settlement_relay_in_process and ctx.chain is not None:
            from hotpot.settlement.relay import run_relay

            tasks.append(asyncio.create_task(run_relay(ctx, stop_relay)))
        try:
            yield
        finally:
            stop_relay.set()
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await close_context(ctx)

    app = FastAPI(
        title="The Hot Pot Spot API",
        version="1.0.0",
        description=(
            "Restaurant franchise network with on-chain loyalty tokens. Amounts are integer "
            "tetri (1 GEL = 100 tetri). Errors are application/problem+json with a stable `code`."
        ),
        lifespan=lifespan,
        # /docs and /redoc are served by http/docs.py, with their assets from here (no CDN).
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        dependencies=[Depends(refuse_unknown_query)],
    )
    app.state.context = ctx
    docs.install(app)
    _publish_settings_in_openapi(app, settings)
    problems.install(app)
    routers = (
        ops_router,
        accounts_router,
        network_router,
        menu_router,
        orders_router,
        wallets_router,
        registry_router,
        sales_router,
        governance_router,
        settlement_router,
        settlement_gateway_router,
    )
    for router in routers:
        app.include_router(router)
    if settings.metrics_on_api_port:
        # Otherwise `serve` answers /metrics on METRICS_PORT, off the public port.
        app.include_router(metrics_router)
    install_web_pages(app)  # /, /claim and the pages under /app/ (docs/web.md)
    if settings.hotpot_profiling_enabled:
        # Off by default: tracemalloc and the profiler cost memory and CPU while mounted.
        from hotpot.ops.profiling import profiling_router

        app.include_router(profiling_router(require_roles(AccessRole.OWNER)))
    # Innermost of ours: CORS (when on) and RequestContext wrap these answers too.
    app.add_middleware(FastReads, reads={"/health": health_read, "/api/v1/menu": menu_read(ctx)})
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "If-None-Match"],
        )
    app.add_middleware(RequestContext, max_body_bytes=settings.max_body_bytes)
    return app


def app_from_environment() -> FastAPI:
    """The factory uvicorn workers call (`hotpot serve --workers N`)."""
    from hotpot.config import load_settings
    from hotpot.telemetry.logging import configure_logging

    settings = load_settings()
    configure_logging(settings.log_level)
    return create_app(settings)
