"""Issue 11: the hot paths' statements are compiled once per worker, then found in
SQLAlchemy's statement cache. A statement it cannot cache (a multi-row
`insert().values([...])`, say) is compiled again on every request: a millisecond of CPU
each time, which the sale profile showed."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy.engine.interfaces import CacheStats

from hotpot.context import AppContext
from tests.integration.test_sales_flow import claim, sell
from tests.support import World, ok, recorded


async def statements_not_cached(ctx: AppContext, run: Callable[[], Awaitable[None]]) -> list[str]:
    """The statements `run` executes that did not come from the compiled cache."""
    with recorded(ctx) as statements:
        await run()
    return [
        f"{s.context.cache_hit}: {s.statement[:120]}"
        for s in statements
        if s.context is not None and s.context.cache_hit is not CacheStats.CACHE_HIT
    ]


async def test_a_sale_and_its_claim_run_on_cached_statements(world: World, ctx: AppContext) -> None:
    item = await world.item(price=2_000, portions=10)

    async def sale_and_claim() -> None:
        sale = ok(await sell(world, item), 201)
        _, token = await world.customer()
        ok(await claim(world, token, sale["receipt_id"], sale["activation_code"]))

    await sale_and_claim()  # the first compiles
    assert await statements_not_cached(ctx, sale_and_claim) == []


async def test_an_order_runs_on_cached_statements(world: World, ctx: AppContext) -> None:
    item = await world.item(price=500, portions=10)

    async def order() -> None:
        body = {"node_id": world.node_a, "lines": [{"item_id": item, "quantity": 1}]}
        headers = {**world.auth("customer"), "Idempotency-Key": f"k-{uuid.uuid4()}"}
        ok(await world.client.post("/api/v1/orders", json=body, headers=headers), 201)

    await order()
    assert await statements_not_cached(ctx, order) == []
