"""The one place every adapter is built, and closed again, for the API, the relay and the CLI.

`build_context` constructs the adapters (no I/O: connections open on first use);
`close_context` closes them in the reverse order; `running_context` is both around a block,
for a command that runs and ends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog

from hotpot.adapters.cache import Cache
from hotpot.adapters.database import Database
from hotpot.adapters.ipfs import open_ipfs_store
from hotpot.adapters.ratelimit import RateLimiter
from hotpot.chain.client import ChainClient
from hotpot.config import ConfigError, Settings
from hotpot.context import AppContext
from hotpot.security.codes import ReceiptCodes
from hotpot.security.passwords import Passwords
from hotpot.security.pii import PiiVault

log = structlog.get_logger(__name__)


def build_context(settings: Settings, *, pool_size: int | None = None) -> AppContext:
    """Every adapter, once; the chain client only when a chain is configured."""
    if not settings.database_url:
        raise ConfigError("DATABASE_URL is not set (hotpot serve starts an embedded one)")
    db = Database(
        settings.database_url,
        settings.database_replica_url,
        pool_size or settings.db_pool_size,
        checkout_timeout=settings.db_pool_timeout_seconds,
        statement_timeout=settings.db_statement_timeout_seconds,
    )
    cache = Cache(settings.redis_url, namespace=settings.redis_namespace)
    chain = (
        ChainClient(settings.chain_rpc_urls, settings.signing_key)
        if settings.chain_rpc_urls
        else None
    )
    passwords = Passwords(settings.password_hash_profile)
    return AppContext(
        settings=settings,
        db=db,
        cache=cache,
        limiter=RateLimiter(cache),
        vault=PiiVault(settings.encryption_key_bytes),
        passwords=passwords,
        codes=ReceiptCodes(settings.effective_receipt_code_secret, passwords),
        chain=chain,
        store=open_ipfs_store(settings.ipfs_api_url, settings.hotpot_data_dir),
    )


async def close_context(ctx: AppContext) -> None:
    """Close what `build_context` built, last built first; one failure does not stop the rest."""
    closers = [ctx.db.dispose, ctx.cache.close]
    if ctx.chain is not None:
        closers.append(ctx.chain.aclose)
    closers.append(ctx.store.aclose)
    for close in reversed(closers):
        try:
            await close()
        except Exception as exc:
            log.warning("closing an adapter failed", error_type=type(exc).__name__, error=str(exc))


@asynccontextmanager
async def running_context(
    settings: Settings, *, pool_size: int | None = None
) -> AsyncIterator[AppContext]:
    ctx = build_context(settings, pool_size=pool_size)
    try:
        yield ctx
    finally:
        await close_context(ctx)
