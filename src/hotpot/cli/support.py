"""What every `hotpot` command needs: validated settings (or a clear exit), the embedded
servers for what is unset, and the adapters built once and closed at the end."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import typer

from hotpot.adapters.embedded_services import embedded_services
from hotpot.bootstrap import running_context
from hotpot.config import ConfigError, Settings, load_settings
from hotpot.context import AppContext
from hotpot.domain.errors import DomainError

T = TypeVar("T")

# Commands run one at a time: a small pool is enough.
COMMAND_POOL_SIZE = 4


def settings_or_exit() -> Settings:
    """The environment's settings; on a bad value, the message names it and we exit 2."""
    try:
        return load_settings()
    except ConfigError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(2) from exc


@contextmanager
def chain_services(settings: Settings) -> Iterator[Settings]:
    """Embedded PostgreSQL (no DATABASE_URL) and anvil (no CHAIN_RPC_URLS), as `serve` does;
    never Redis (these commands only use the database and the chain)."""
    with embedded_services(settings, with_redis=False, with_chain=True) as running:
        yield running


def run_with_context(settings: Settings, work: Callable[[AppContext], Awaitable[T]]) -> T:
    """Run `work` with the bootstrap's adapters, closed afterwards; a domain refusal (no
    chain configured, say) is printed and exits 1."""

    async def body() -> T:
        async with running_context(settings, pool_size=COMMAND_POOL_SIZE) as ctx:
            return await work(ctx)

    try:
        return asyncio.run(body())
    except DomainError as exc:
        typer.echo(f"{exc.code}: {exc.detail}", err=True)
        raise typer.Exit(1) from exc
