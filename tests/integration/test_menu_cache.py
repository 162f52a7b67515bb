"""The cached menu: this process's copy, kept honest by the invalidation channel.

A cached read costs no Redis round trip; a change made here is seen by the next read here,
a change made by another process reaches this one's copy, and the answer served from the
copy is the route's own, byte for byte.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from uuid import UUID

import httpx
from redis.asyncio import Redis
from starlette.responses import JSONResponse

from hotpot.app import create_app
from hotpot.bootstrap import close_context
from hotpot.config import Settings
from hotpot.context import AppContext
from hotpot.menu.cache import menu_key
from hotpot.ops.api import health
from tests.support import World, ok


async def _until(check: Callable[[], Awaitable[bool]], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def _warm(http: httpx.AsyncClient, ctx: AppContext, node: str | None) -> httpx.Response:
    """Read the menu until this process holds its own copy of it; the last answer."""
    params = {"node_id": node} if node else {}
    key = menu_key(UUID(node) if node else None)
    last: list[httpx.Response] = []

    async def held() -> bool:
        last.append(await http.get("/api/v1/menu", params=params))
        assert last[-1].status_code == 200, last[-1].text
        return ctx.cache.peek(key) is not None

    await _until(held)
    return last[-1]


def _portions(menu: httpx.Response, item: str) -> int:
    return int(next(e["portions"] for e in menu.json()["items"] if e["id"] == item))


def _headers(response: httpx.Response) -> list[tuple[str, str]]:
    return [(k, v) for k, v in response.headers.multi_items() if k != "x-request-id"]


async def test_a_cached_read_costs_no_redis_round_trip(
    client: httpx.AsyncClient, world: World, ctx: AppContext, settings: Settings
) -> None:
    item = await world.item(portions=7)
    warm = await _warm(client, ctx, world.node_a)
    # Redis's entry replaced behind the service's back: a read that went to Redis would
    # answer it; the process's own copy does not.
    assert settings.redis_url is not None
    raw = Redis.from_url(settings.redis_url)
    try:
        await raw.set(f"{settings.redis_namespace}:{menu_key(UUID(world.node_a))}", b"{}")
        for _ in range(5):
            again = await client.get("/api/v1/menu", params={"node_id": world.node_a})
            assert again.content == warm.content
    finally:
        await raw.aclose()
    # A change made through this process is in its very next read.
    await world.stock(world.node_a, item, 3)
    changed = await client.get("/api/v1/menu", params={"node_id": world.node_a})
    assert _portions(changed, item) == 3


async def test_a_stock_change_keeps_the_network_menu(
    client: httpx.AsyncClient, world: World, ctx: AppContext
) -> None:
    item = await world.item(portions=5)
    network = await _warm(client, ctx, None)
    await _warm(client, ctx, world.node_a)
    await world.stock(world.node_a, item, 2)
    # Portions are only in the node's menu: that one is dropped, the network one is kept.
    assert ctx.cache.peek(menu_key(UUID(world.node_a))) is None
    assert ctx.cache.peek(menu_key(None)) == network.content
    assert _portions(await client.get("/api/v1/menu", params={"node_id": world.node_a}), item) == 2


async def test_another_process_change_reaches_this_process_copy(
    world: World, settings: Settings
) -> None:
    item = await world.item(portions=9)
    other = create_app(settings)  # a second worker: its own copy, the same Redis
    other_ctx: AppContext = other.state.context
    transport = httpx.ASGITransport(app=other)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://other") as http:
            assert _portions(await _warm(http, other_ctx, world.node_a), item) == 9
            await world.stock(world.node_a, item, 4)  # through the first app

            async def fresh() -> bool:
                menu = await http.get("/api/v1/menu", params={"node_id": world.node_a})
                return _portions(menu, item) == 4

            await _until(fresh, within=2.0)
    finally:
        await close_context(other_ctx)


async def test_a_value_read_before_an_invalidation_is_not_kept(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await _warm(client, ctx, None)  # the subscription is up
    name = "test:raced"

    async def produce() -> bytes:
        await ctx.cache.delete(name)  # a change lands while the old value is being read
        return b"old"

    assert await ctx.cache.read_through(name, 60, produce) == b"old"
    assert ctx.cache.peek(name) is None


async def test_the_answer_from_the_copy_is_the_routes_own(
    client: httpx.AsyncClient, world: World, ctx: AppContext
) -> None:
    params = {"node_id": world.node_b}
    key = menu_key(UUID(world.node_b))
    await ctx.cache.delete(key)  # the next read is a miss: the FastAPI route answers it
    routed = ok_response(await client.get("/api/v1/menu", params=params))
    served = await _warm(client, ctx, world.node_b)
    assert served.content == routed.content
    assert _headers(served) == _headers(routed)

    tag = {"If-None-Match": routed.headers["etag"]}
    await ctx.cache.delete(key)
    routed_304 = await client.get("/api/v1/menu", params=params, headers=tag)
    await _warm(client, ctx, world.node_b)
    served_304 = await client.get("/api/v1/menu", params=params, headers=tag)
    assert routed_304.status_code == served_304.status_code == 304
    assert served_304.content == routed_304.content == b""
    assert _headers(served_304) == _headers(routed_304)

    alive = await client.get("/health")
    reference = JSONResponse(await health())
    assert alive.content == reference.body
    assert _headers(alive) == [(k.decode(), v.decode()) for k, v in reference.raw_headers]
    # Answered ahead of the router, still counted under the route template.
    metrics = (await client.get("/metrics")).text
    assert 'http_requests_total{method="GET",path="/api/v1/menu",status="304"}' in metrics
    assert 'http_requests_total{method="GET",path="/health",status="200"}' in metrics


def ok_response(response: httpx.Response) -> httpx.Response:
    ok(response)
    return response
