"""Starting the platform: embedded servers when nothing is configured, migrations, seed, serve."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import structlog
import uvicorn

from hotpot.adapters.database import migrate
from hotpot.adapters.embedded import EmbeddedPostgres, EmbeddedRedis, EmbeddedServerError
from hotpot.chain.anvil import EmbeddedAnvil
from hotpot.config import Settings
from hotpot.telemetry.logging import configure_logging

log = structlog.get_logger(__name__)


@contextmanager
def embedded_services(
    settings: Settings, *, with_redis: bool = True, with_chain: bool = False
) -> Iterator[Settings]:
    """Start embedded PostgreSQL/Redis (and chain) for whatever is unset; stop them on exit.

    Commands that only touch the database pass `with_redis=False`; `serve` asks for the
    chain too, and then settles in-process unless told otherwise.
    """
    started: list[EmbeddedPostgres | EmbeddedRedis | EmbeddedAnvil] = []
    updates: dict[str, object] = {}
    try:
        if not settings.database_url and settings.hotpot_embedded:
            postgres = EmbeddedPostgres(settings.hotpot_data_dir / "postgres")
            updates["database_url"] = postgres.start()
            started.append(postgres)
        if with_redis and not settings.redis_url and settings.hotpot_embedded:
            redis = EmbeddedRedis(settings.hotpot_data_dir / "redis")
            try:
                updates["redis_url"] = redis.start()
                started.append(redis)
            except EmbeddedServerError as exc:
                log.warning("no embedded redis; running without the cache", error=str(exc))
        if with_chain and not settings.chain_rpc_urls and settings.hotpot_embedded:
            chain = EmbeddedAnvil(settings.hotpot_data_dir / "chain", chain_id=settings.chain_id)
            try:
                updates["chain_rpc_urls"] = [chain.start()]
                started.append(chain)
                if settings.settlement_relay_in_process is None:
                    updates["settlement_relay_in_process"] = True
            except EmbeddedServerError as exc:
                # Orders and sales still commit; their outbox rows wait for a chain.
                log.warning("no embedded chain; settlement stays pending", error=str(exc))
        yield settings.model_copy(update=updates)
    finally:
        for server in reversed(started):
            with contextlib.suppress(EmbeddedServerError):
                server.stop()


async def _seed_if_new(settings: Settings) -> None:
    from hotpot.app import build_context
    from hotpot.seed import demo_needed, seed_demo

    ctx = build_context(settings)
    try:
        if await demo_needed(ctx):
            await seed_demo(ctx, settings.hotpot_data_dir)
            log.info(
                "demo network seeded",
                credentials_file=str(settings.hotpot_data_dir / "demo-credentials.json"),
            )
    finally:
        await ctx.cache.close()
        await ctx.db.dispose()


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def serve(settings: Settings, workers: int = 1) -> None:
    configure_logging(settings.log_level)
    # uvicorn re-raises the signal it caught once it has shut down; as a clean exit (not
    # the default action) it lets us stop the embedded servers on the way out.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    signal.signal(signal.SIGINT, _exit_cleanly)
    with embedded_services(settings, with_chain=True) as running:
        assert running.database_url is not None
        migrate(running.database_url)
        if running.hotpot_seed_demo and not running.is_production:
            asyncio.run(_seed_if_new(running))
        log.info("serving", host=running.host, port=running.port, workers=workers)
        if workers > 1:
            # Worker processes read their settings from the environment, and share metrics
            # through prometheus-client's multiprocess files.
            os.environ["DATABASE_URL"] = running.database_url
            if running.redis_url:
                os.environ["REDIS_URL"] = running.redis_url
            if running.chain_rpc_urls:
                # Every worker may run the relay; an advisory lock lets one of them lead.
                os.environ["CHAIN_RPC_URLS"] = ",".join(running.chain_rpc_urls)
                os.environ["SETTLEMENT_RELAY_IN_PROCESS"] = str(
                    bool(running.settlement_relay_in_process)
                ).lower()
            os.environ.setdefault(
                "PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="hotpot-prom-")
            )
            uvicorn.run(
                "hotpot.app:app_from_environment",
                factory=True,
                host=running.host,
                port=running.port,
                workers=workers,
                log_config=None,
                access_log=False,
                proxy_headers=running.trusted_proxy_hops > 0,
            )
        else:
            from hotpot.app import create_app

            uvicorn.run(
                create_app(running),
                host=running.host,
                port=running.port,
                log_config=None,
                access_log=False,
                proxy_headers=running.trusted_proxy_hops > 0,
            )
