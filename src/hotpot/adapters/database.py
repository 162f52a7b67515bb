"""PostgreSQL access: a primary pool for writes, a replica pool (optional) for stale reads."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import structlog
from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from hotpot.telemetry.metrics import DEPENDENCY_UP, REPLICA_LAG

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


def make_engine(url: str, pool_size: int) -> AsyncEngine:
    return create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_timeout=10,
        connect_args={"command_timeout": 30, "server_settings": {"application_name": "hotpot"}},
    )


class Database:
    """The primary (system of record) and, when configured, a read replica."""

    def __init__(self, primary_url: str, replica_url: str | None = None, pool_size: int = 10):
        self.primary = make_engine(primary_url, pool_size)
        self.replica = make_engine(replica_url, pool_size) if replica_url else None
        self._replica_down_until = 0.0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """One transaction on the primary: committed on success, rolled back on any error."""
        async with self.primary.begin() as conn:
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read that may be slightly stale: the replica when it answers, else the primary."""
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
        """Readiness: the primary pool answers within `within` seconds."""
        try:
            async with asyncio.timeout(within), self.primary.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (TimeoutError, OperationalError, DBAPIError, OSError):
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
        await self.primary.dispose()
        if self.replica is not None:
            await self.replica.dispose()


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url)
    return config


def migrate(url: str, revision: str = "head") -> None:
    """Bring the schema to `revision` (alembic upgrade)."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)
