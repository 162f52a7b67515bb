"""`hotpot serve`: embedded servers for what is unset, migrations, the demo seed, uvicorn."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any, TextIO

import structlog
import uvicorn

from hotpot.adapters.database import migrate
from hotpot.adapters.embedded_services import embedded_services
from hotpot.bootstrap import running_context
from hotpot.config import Settings
from hotpot.telemetry.exposition import Listener, MetricsPortTaken, start_listener
from hotpot.telemetry.logging import configure_logging

log = structlog.get_logger(__name__)


async def _seed_if_new(settings: Settings) -> None:
    from hotpot.seed import demo_needed, seed_demo

    async with running_context(settings) as ctx:
        if await demo_needed(ctx):
            await seed_demo(ctx, settings.hotpot_data_dir)
            log_seeded(settings)


def demo_file(settings: Settings) -> Path:
    return settings.hotpot_data_dir / "demo-credentials.json"


def log_seeded(settings: Settings) -> None:
    # Its path is no secret: a key without "credential" keeps the redaction off it.
    log.info("demo network seeded", demo_accounts_file=str(demo_file(settings)))


def announce(settings: Settings, stream: TextIO) -> None:
    """One human line for whoever started `serve` at a terminal (logs are for machines)."""
    if not stream.isatty():
        return
    url = settings.listen_url
    line = f"The Hot Pot Spot is serving {url}/api/v1 (API docs: {url}/docs)"
    if settings.hotpot_seed_demo and not settings.is_production and demo_file(settings).exists():
        line += f"; demo accounts in {demo_file(settings)}"
    print(line, file=stream, flush=True)


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _metrics_listener(settings: Settings) -> Listener | None:
    """/metrics on METRICS_PORT, beside the public port (one for all of `serve`'s workers)."""
    port = settings.metrics_listener_port
    if not port:
        return None
    try:
        listener = start_listener(settings.host, port, who="hotpot serve", remedy="METRICS_PORT")
    except MetricsPortTaken as exc:
        print(exc, file=sys.stderr, flush=True)
        raise SystemExit(2) from exc
    log.info("metrics listening", host=settings.host, metrics_port=listener.port)
    return listener


def serve(settings: Settings, workers: int = 1) -> None:
    configure_logging(settings.log_level)
    # uvicorn re-raises the signal it caught once it has shut down; as a clean exit (not
    # the default action) it lets us stop the embedded servers on the way out.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    signal.signal(signal.SIGINT, _exit_cleanly)
    if workers > 1:
        # Worker processes share metrics through prometheus-client's multiprocess files;
        # set before anything records one, so this process's listener aggregates them all.
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="hotpot-prom-"))
    with embedded_services(settings, with_chain=True) as running:
        assert running.database_url is not None
        migrate(running.database_url)
        if running.hotpot_seed_demo and not running.is_production:
            asyncio.run(_seed_if_new(running))
        metrics = _metrics_listener(running)
        log.info("serving", host=running.host, port=running.port, workers=workers)
        announce(running, sys.stderr)
        try:
            _run_uvicorn(running, workers)
        finally:
            if metrics is not None:
                metrics.close()


def _run_uvicorn(running: Settings, workers: int) -> None:
    options: dict[str, Any] = {
        "host": running.host,
        "port": running.port,
        "log_config": None,
        "access_log": False,
        "proxy_headers": running.trusted_proxy_hops > 0,
        "timeout_keep_alive": running.http_keepalive_seconds,
    }
    if workers > 1:
        # Worker processes read their settings from the environment.
        os.environ["DATABASE_URL"] = str(running.database_url)
        if running.redis_url:
            os.environ["REDIS_URL"] = running.redis_url
        if running.chain_rpc_urls:
            # Every worker may run the relay; an advisory lock lets one of them lead.
            os.environ["CHAIN_RPC_URLS"] = ",".join(running.chain_rpc_urls)
            os.environ["SETTLEMENT_RELAY_IN_PROCESS"] = str(
                bool(running.settlement_relay_in_process)
            ).lower()
        uvicorn.run("hotpot.app:app_from_environment", factory=True, workers=workers, **options)
    else:
        from hotpot.app import create_app

        uvicorn.run(create_app(running), **options)
