"""Embedded PostgreSQL, Redis and anvil for whatever the environment leaves unset."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager

import structlog

from hotpot.adapters.embedded import EmbeddedPostgres, EmbeddedRedis, EmbeddedServerError
from hotpot.chain.anvil import EmbeddedAnvil
from hotpot.config import Settings

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
