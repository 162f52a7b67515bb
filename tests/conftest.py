"""Shared fixtures: real PostgreSQL and Redis, from the environment or embedded.

DATABASE_URL / REDIS_URL (or HOTPOT_TEST_DATABASE_URL / HOTPOT_TEST_REDIS_URL) name a
server to use; each test session then works in a fresh database created on that server
and dropped at the end. When nothing is named, the session starts embedded servers.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from hotpot.adapters.database import migrate
from hotpot.adapters.embedded import EmbeddedPostgres, EmbeddedRedis
from hotpot.app import create_app
from hotpot.bootstrap import close_context
from hotpot.config import Settings
from hotpot.context import AppContext
from tests.support import World

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(*names: str) -> str | None:
    for name in names:
        if os.environ.get(name):
            return os.environ[name]
    return None


def _with_database(url: str, database: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{database}"


@pytest.fixture(scope="session")
def pg_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configured = _env("HOTPOT_TEST_DATABASE_URL", "DATABASE_URL")
    if configured:
        yield configured
        return
    # Not under pytest's 0700 temp root: as root, the server runs as an unprivileged
    # account that must be able to reach its data folder.
    folder = Path(tempfile.mkdtemp(prefix="hotpot-test-pg-"))
    server = EmbeddedPostgres(folder)
    url = server.start()
    try:
        yield url
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def fresh_database(pg_server_url: str) -> Iterator[object]:
    """A factory of empty databases on the test server, all dropped at session end."""
    created: list[str] = []

    def make() -> str:
        name = f"hotpot_test_{uuid.uuid4().hex[:10]}"
        asyncio.run(_admin(pg_server_url, f'CREATE DATABASE "{name}"'))
        created.append(name)
        return _with_database(pg_server_url, name)

    yield make
    for name in created:
        asyncio.run(_admin(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def database_url(fresh_database: object) -> str:
    assert callable(fresh_database)
    url = str(fresh_database())
    migrate(url)
    return url


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configured = _env("HOTPOT_TEST_REDIS_URL", "REDIS_URL")
    if configured:
        yield configured
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    url = server.start(persist=False)
    try:
        yield url
    finally:
        server.stop()


def make_settings(database_url: str, redis_url: str | None, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "redis_url": redis_url,
        "redis_namespace": f"test-{uuid.uuid4().hex[:8]}",
        "hotpot_env": "development",
        # Generous limits: the rate-limit tests build their own app with small ones.
        "rate_limit_login_per_minute": 100_000,
        "rate_limit_register_per_hour": 100_000,
        "rate_limit_orders_per_minute": 100_000,
        "rate_limit_login_address_per_minute": 100_000,
        "rate_limit_login_name_per_hour": 100_000,
        "rate_limit_terminal_login_per_minute": 100_000,
        "rate_limit_siwe_per_minute": 100_000,
        "db_pool_size": 20,
        "password_hash_profile": "cheapest-for-tests",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def settings(database_url: str, redis_url: str) -> Settings:
    return make_settings(database_url, redis_url)


@pytest.fixture(scope="session")
async def app_and_ctx(settings: Settings) -> AsyncIterator[tuple[object, AppContext]]:
    app = create_app(settings)
    ctx = app.state.context
    yield app, ctx
    await close_context(ctx)


@pytest.fixture(scope="session")
async def ctx(app_and_ctx: tuple[object, AppContext]) -> AppContext:
    return app_and_ctx[1]


@pytest.fixture(scope="session")
async def client(app_and_ctx: tuple[object, AppContext]) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app_and_ctx[0])  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture(scope="session")
async def world(client: httpx.AsyncClient, ctx: AppContext) -> World:
    """An owner, two nodes (OWNER and FRANCHISE) and their staff, shared by the session."""
    return await World.create(client, ctx)
