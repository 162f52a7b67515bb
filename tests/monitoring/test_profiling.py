"""The profiling router on a tiny app of its own, with a trivial owner check.

Real yappi, tracemalloc and asyncio: the assertions look for functions defined here in
what the endpoints return.
"""

from __future__ import annotations

import asyncio
import pstats
import time
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import httpx
import pytest
from fastapi import FastAPI, Header, HTTPException

from hotpot.ops.profiling import PID_HEADER, profiling_router

OWNER = {"X-Test-Owner": "yes"}


def require_test_owner(x_test_owner: Annotated[str | None, Header()] = None) -> None:
    if x_test_owner != "yes":
        raise HTTPException(status_code=403, detail="owner only")


def busy_loop_function(seconds: float) -> int:
    """Burns CPU on the event loop thread."""
    deadline, n = time.process_time() + seconds, 0
    while time.process_time() < deadline:
        n += sum(range(200))
    return n


def busy_thread_function(seconds: float) -> int:
    """Burns CPU on a worker thread (a sync route runs in the thread pool)."""
    return busy_loop_function(seconds)


KEPT: list[bytes] = []


def allocate_profiling_blob(n: int) -> None:
    KEPT.extend(bytes(1024) for _ in range(n))


async def parked_profiling_coroutine(event: asyncio.Event) -> None:
    await event.wait()


def _app() -> FastAPI:
    app = FastAPI()
    app.include_router(profiling_router(require_test_owner))

    @app.get("/work-async")
    async def work_async() -> dict[str, int]:
        return {"n": busy_loop_function(0.3)}

    @app.get("/work-sync")
    def work_sync() -> dict[str, int]:
        return {"n": busy_thread_function(0.3)}

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    was_tracing = tracemalloc.is_tracing()
    transport = httpx.ASGITransport(app=_app())  # building the router starts tracemalloc
    assert tracemalloc.is_tracing()
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c
    if not was_tracing:  # the rest of the suite should not pay for tracing
        tracemalloc.stop()


@pytest.mark.parametrize("path", ["/debug/profile?seconds=1", "/debug/heap", "/debug/tasks"])
async def test_every_route_requires_the_owner(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 403
    response = await client.get(path, headers={"X-Test-Owner": "no"})
    assert response.status_code == 403


@pytest.mark.parametrize("seconds", [0, 61, -5])
async def test_profile_seconds_are_bounded(client: httpx.AsyncClient, seconds: int) -> None:
    response = await client.get(f"/debug/profile?seconds={seconds}", headers=OWNER)
    assert response.status_code == 422


async def test_cpu_profile_sees_the_loop_and_worker_threads(client: httpx.AsyncClient) -> None:
    async def traffic() -> None:
        await asyncio.sleep(0.1)  # let the profile start first
        await asyncio.gather(client.get("/work-async"), client.get("/work-sync"))

    profile, _ = await asyncio.gather(
        client.get("/debug/profile?seconds=1", headers=OWNER), traffic()
    )
    assert profile.status_code == 200, profile.text
    assert profile.headers["content-type"].startswith("text/plain")
    assert profile.headers[PID_HEADER].isdigit()
    assert "cpu time over 1s" in profile.text
    assert "busy_loop_function" in profile.text
    assert "busy_thread_function" in profile.text  # another thread: whole-process profile


async def test_a_second_concurrent_profile_is_refused(client: httpx.AsyncClient) -> None:
    async def second() -> httpx.Response:
        await asyncio.sleep(0.2)
        return await client.get("/debug/profile?seconds=1", headers=OWNER)

    first, refused = await asyncio.gather(
        client.get("/debug/profile?seconds=1", headers=OWNER), second()
    )
    assert first.status_code == 200
    assert refused.status_code == 409


async def test_pstat_profile_loads_with_pstats(client: httpx.AsyncClient, tmp_path: Path) -> None:
    async def traffic() -> None:
        await asyncio.sleep(0.1)
        await client.get("/work-async")

    profile, _ = await asyncio.gather(
        client.get("/debug/profile?seconds=1&format=pstat&clock=wall", headers=OWNER), traffic()
    )
    assert profile.status_code == 200
    assert "attachment" in profile.headers["content-disposition"]
    dump = tmp_path / "profile.pstat"
    dump.write_bytes(profile.content)
    functions = {name for (_, _, name) in pstats.Stats(str(dump)).stats}
    assert "busy_loop_function" in functions


async def test_heap_lists_top_allocations_and_their_growth(client: httpx.AsyncClient) -> None:
    allocate_profiling_blob(2000)  # ~2 MB from one line of this file
    first = await client.get("/debug/heap?limit=10&compare=true", headers=OWNER)
    assert first.status_code == 200
    assert first.headers[PID_HEADER].isdigit()
    assert "no previous snapshot yet" in first.text
    top = first.text.split("allocations, by lineno\n", 1)[1]
    assert "test_profiling.py" in top.splitlines()[0] or "test_profiling.py" in top

    allocate_profiling_blob(3000)
    second = await client.get("/debug/heap?limit=5&compare=true", headers=OWNER)
    growth = second.text.split("growth since the previous /debug/heap, by lineno\n", 1)[1]
    assert "test_profiling.py" in growth.splitlines()[0]  # the biggest growth is ours
    assert growth.splitlines()[0].split()[0].startswith("+")
    KEPT.clear()


async def test_heap_grouping_is_validated(client: httpx.AsyncClient) -> None:
    assert (await client.get("/debug/heap?group_by=nonsense", headers=OWNER)).status_code == 422
    by_file = await client.get("/debug/heap?group_by=filename&limit=3", headers=OWNER)
    assert by_file.status_code == 200
    assert "by filename" in by_file.text


async def test_tasks_dump_shows_running_tasks_with_stacks(client: httpx.AsyncClient) -> None:
    event = asyncio.Event()
    parked = asyncio.create_task(parked_profiling_coroutine(event), name="parked-for-test")
    await asyncio.sleep(0)
    try:
        response = await client.get("/debug/tasks", headers=OWNER)
    finally:
        event.set()
        await parked
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(body["tasks"]) >= 2
    (task,) = [t for t in body["tasks"] if t["name"] == "parked-for-test"]
    assert task["coroutine"] == "parked_profiling_coroutine"
    assert task["state"] == "pending"
    assert any("event.wait()" in line for line in task["stack"])
