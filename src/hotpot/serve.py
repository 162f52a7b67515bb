"""`hotpot serve`: embedded servers for what is unset, migrations, the demo seed, uvicorn."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import TextIO

import structlog
import uvicorn

from hotpot.adapters.database import migrate
from hotpot.adapters.embedded_services import embedded_services
from hotpot.bootstrap import running_context
from hotpot.config import Settings
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
        announce(running, sys.stderr)
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
