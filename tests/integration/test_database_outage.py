"""A PostgreSQL outage under load: 503 + Retry-After, cached menu served, quick recovery.

The test owns an embedded PostgreSQL (not the shared server) so it can stop and start it.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from hotpot.adapters.database import migrate
from hotpot.adapters.embedded import EmbeddedPostgres
from hotpot.app import create_app
from hotpot.bootstrap import close_context
from hotpot.context import AppContext
from tests.conftest import make_settings

MISSING_ITEM = f"/api/v1/menu/items/{uuid.uuid4()}"  # 404 while the database answers


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[EmbeddedPostgres]:
    # Enterable by the unprivileged account the server runs as when we are root.
    folder = Path(tempfile.mkdtemp(prefix="hotpot-outage-pg-"))
    folder.chmod(0o755)
    server = EmbeddedPostgres(folder)
    migrate(server.start())
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
async def outage_app(
    own_postgres: EmbeddedPostgres, redis_url: str
) -> AsyncIterator[tuple[httpx.AsyncClient, AppContext]]:
    settings = make_settings(
        own_postgres.url,
        redis_url,
        db_pool_size=2,
        db_pool_timeout_seconds=0.5,
        db_statement_timeout_seconds=5,
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http, app.state.context
    await close_context(app.state.context)


async def _poll(check: object, within: float) -> float:
    """Seconds until the async `check()` holds; fails after `within` seconds."""
    start = time.monotonic()
    while time.monotonic() - start < within:
        if await check():  # type: ignore[operator]
            return time.monotonic() - start
        await asyncio.sleep(0.02)
    raise AssertionError(f"condition not met within {within} s")


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, (response.status_code, response.text)
    assert response.headers["Retry-After"] == "1"
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "database_unavailable"


async def test_outage_under_load_gives_503_serves_cached_menu_and_recovers(
    outage_app: tuple[httpx.AsyncClient, AppContext], own_postgres: EmbeddedPostgres
) -> None:
    http, _ = outage_app
    assert (await http.get("/api/v1/menu")).status_code == 200  # now cached in Redis
    assert (await http.get(MISSING_ITEM)).status_code == 404
    seen: list[tuple[str, httpx.Response]] = []
    stop = asyncio.Event()

    async def load(path: str) -> None:
        while not stop.is_set():
            seen.append((path, await http.get(path)))
            await asyncio.sleep(0)

    workers = [asyncio.create_task(load(p)) for p in [MISSING_ITEM] * 6 + ["/api/v1/menu"] * 2]

    async def database_refused() -> bool:
        return (await http.get(MISSING_ITEM)).status_code == 503

    async def database_serves() -> bool:
        return (await http.get(MISSING_ITEM)).status_code == 404

    try:
        await _poll(lambda: asyncio.sleep(0, len(seen) > 20), 10)
        await asyncio.to_thread(own_postgres.stop)
        await _poll(database_refused, 5)
        outage_seen = len(seen)
        await _poll(lambda: asyncio.sleep(0, len(seen) > outage_seen + 50), 10)
        await asyncio.to_thread(own_postgres.start)  # returns once it accepts connections
        recovery = await _poll(database_serves, 5)
    finally:
        stop.set()
        await asyncio.gather(*workers)
    assert recovery < 1.0, recovery
    statuses = [r.status_code for _, r in seen]
    assert 500 not in statuses
    assert statuses.count(503) > 0
    for path, response in seen:
        if path == "/api/v1/menu":
            assert response.status_code == 200, response.text
        elif response.status_code != 404:
            _assert_unavailable(response)


async def test_ready_reports_the_database_not_the_pool_queue(
    outage_app: tuple[httpx.AsyncClient, AppContext], own_postgres: EmbeddedPostgres
) -> None:
    http, ctx = outage_app
    await _poll(lambda: ready_is(http, 200), 5)
    held = asyncio.Event()
    busy = 0

    async def slow_query() -> None:
        nonlocal busy
        async with ctx.db.read() as conn:
            busy += 1
            if busy == 4:
                held.set()
            await conn.execute(text("SELECT pg_sleep(3)"))

    # pool_size 2 + overflow 2: every pooled connection is busy with a slow query.
    sleepers = [asyncio.create_task(slow_query()) for _ in range(4)]
    await asyncio.wait_for(held.wait(), 5)
    try:
        for _ in range(5):
            started = time.monotonic()
            assert (await http.get("/ready")).status_code == 200
            assert time.monotonic() - started < 0.5
        # The pool really is saturated: a request needing it waits out its checkout timeout.
        _assert_unavailable(await http.get(MISSING_ITEM))
    finally:
        await asyncio.gather(*sleepers, return_exceptions=True)

    await asyncio.to_thread(own_postgres.stop)
    try:
        stopped = time.monotonic()
        await _poll(lambda: ready_is(http, 503), 2)
        assert time.monotonic() - stopped < 2
    finally:
        await asyncio.to_thread(own_postgres.start)
    await _poll(lambda: ready_is(http, 200), 2)


async def ready_is(http: httpx.AsyncClient, status: int) -> bool:
    return (await http.get("/ready")).status_code == status
