"""PostgreSQL access: a primary pool for writes, a replica pool (optional) for stale reads."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from hotpot.domain.errors import Unavailable
from hotpot.telemetry.metrics import DEPENDENCY_UP, REPLICA_LAG

if TYPE_CHECKING:
    from alembic.config import Config

log = structlog.get_logger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# After a failed replica read we use the primary for this long before trying again.
REPLICA_RETRY_SECONDS = 5.0
_REPLICA_LAG_SQL = "SELECT COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)"


def async_url(url: str) -> str:
    """Accept the usual `postgresql://` URL and use the asyncpg driver for it."""
    for prefix in (
        "postgresql+asyncpg://",
        "postgresql+psycopg://",
        "postgresql://",
        "postgres://",
    ):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError("DATABASE_URL must be a postgresql:// URL")


# SQLSTATE classes/codes that say "the server is not there", not "your query is wrong":
# 08 connection exception, 57P01-57P03 shutting down / crash / starting up, 57014 cancelled
# (statement_timeout), 53300 too many connections.
_UNAVAILABLE_SQLSTATE_PREFIXES = ("08", "57P", "57014", "53300")


def _sqlstate(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    for candidate in (orig, getattr(orig, "__cause__", None), exc):
        state = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(state, str):
            return state
    return ""


def is_unavailable(exc: BaseException) -> bool:
    """A failure of the connection or the server (retry later), not of the statement."""
    if isinstance(exc, PoolTimeout | TimeoutError | OSError | ConnectionError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        if _sqlstate(exc).startswith(_UNAVAILABLE_SQLSTATE_PREFIXES):
            return True
        cause = exc.orig.__cause__ if exc.orig is not None else None
        orig = exc.orig if exc.orig is not None else cause
        name = type(orig).__name__ if orig is not None else ""
        # asyncpg's own names for a connection that is gone (no SQLSTATE on these).
        return isinstance(cause, OSError | TimeoutError) or name in {
            "ConnectionDoesNotExistError",
            "InterfaceError",
            "InternalClientError",
        }
    return False


def database_unavailable(exc: BaseException) -> Unavailable:
    log.warning("database unavailable", error=type(exc).__name__)
    DEPENDENCY_UP.labels("postgres").set(0)
    return Unavailable(
        "database_unavailable", "the database is unavailable, retry shortly", retry_after=1
    )


def make_engine(
    url: str, pool_size: int, checkout_timeout: float = 2.0, statement_timeout: float = 10.0
) -> AsyncEngine:
    return create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_timeout=checkout_timeout,
        connect_args={
            # The client-side bound covers a server that stops answering altogether.
            "command_timeout": statement_timeout + 1,
            "timeout": checkout_timeout,
            "server_settings": {
                "application_name": "hotpot",
                "statement_timeout": str(int(statement_timeout * 1000)),
            },
        },
    )


class Database:
    """The primary (system of record) and, when configured, a read replica."""

    def __init__(
        self,
        primary_url: str,
        replica_url: str | None = None,
        pool_size: int = 10,
        *,
        checkout_timeout: float = 2.0,
        statement_timeout: float = 10.0,
    ):
        timeouts = {"checkout_timeout": checkout_timeout, "statement_timeout": statement_timeout}
        self.primary = make_engine(primary_url, pool_size, **timeouts)
        self.replica = make_engine(replica_url, pool_size, **timeouts) if replica_url else None
        self._replica_down_until = 0.0
        # Readiness has a connection of its own, so a pool busy with slow queries never
        # makes /ready wait in the pool's queue: it measures the database, not the load.
        self._probe = create_async_engine(
            async_url(primary_url),
            pool_size=1,
            max_overflow=0,
            pool_pre_ping=False,
            connect_args={"server_settings": {"application_name": "hotpot-probe"}},
        )
        self._probe_lock = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """One transaction on the primary: committed on success, rolled back on any error.

        A connection-level failure becomes `Unavailable("database_unavailable")` (503)."""
        try:
            async with self.primary.begin() as conn:
                yield conn
        except Exception as exc:
            if is_unavailable(exc):
                raise database_unavailable(exc) from exc
            raise

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read that may be slightly stale: the replica when it answers, else the primary."""
        try:
            async with self._read() as conn:
                yield conn
        except Exception as exc:
            if is_unavailable(exc):
                raise database_unavailable(exc) from exc
            raise

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[AsyncConnection]:
        if self.replica is not None and time.monotonic() >= self._replica_down_until:
            try:
                conn = await self.replica.connect()
            except (OperationalError, DBAPIError, OSError) as exc:
                self._replica_down_until = time.monotonic() + REPLICA_RETRY_SECONDS
                DEPENDENCY_UP.labels("replica").set(0)
                log.warning("replica unavailable, reading from primary", error=type(exc).__name__)
            else:
                try:
                    yield conn
                finally:
                    await conn.close()
                return
        async with self.primary.connect() as conn:
            yield conn

    async def ping(self, within: float = 0.5) -> bool:
        """Readiness: the primary answers `SELECT 1` on the probe connection within `within` s."""
        try:
            async with asyncio.timeout(within), self._probe_lock, self._probe.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (TimeoutError, OperationalError, DBAPIError, OSError):
            # A broken probe connection is not reused: the next probe reconnects.
            await self._probe.dispose()
            DEPENDENCY_UP.labels("postgres").set(0)
            return False
        DEPENDENCY_UP.labels("postgres").set(1)
        return True

    async def check_replica(self) -> None:
        """Export the replica's health and lag as metrics (never as a probe failure)."""
        if self.replica is None:
            return
        try:
            async with asyncio.timeout(1), self.replica.connect() as conn:
                lag = await conn.scalar(text(_REPLICA_LAG_SQL))
        except (TimeoutError, OperationalError, DBAPIError, OSError):
            DEPENDENCY_UP.labels("replica").set(0)
            return
        DEPENDENCY_UP.labels("replica").set(1)
        REPLICA_LAG.set(float(lag or 0))

    async def dispose(self) -> None:
        await self._probe.dispose()
        await self.primary.dispose()
        if self.replica is not None:
            await self.replica.dispose()


def alembic_config(url: str) -> Config:
    # Imported here: alembic (and mako) cost an API worker about 9 MB it never uses.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url)
    return config


def migrate(url: str, revision: str = "head") -> None:
    """Bring the schema to `revision` (alembic upgrade)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)
