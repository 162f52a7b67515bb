"""The timed gauges: open orders by state, the outbox backlog and ownership shares."""

from __future__ import annotations

import httpx
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from hotpot.context import AppContext
from hotpot.ledger.tables import outbox
from hotpot.ops import gauges
from tests.support import World


def _value(name: str, labels: dict[str, str] | None = None) -> float:
    return REGISTRY.get_sample_value(name, labels or {}) or 0.0


async def test_gauges_follow_the_database(
    client: httpx.AsyncClient, world: World, ctx: AppContext
) -> None:
    item = await world.item(price=5_000, portions=5)
    await world.order(world.tokens["customer"], world.node_a, item)
    done = await world.order(world.tokens["customer"], world.node_a, item)
    await world.complete(done["id"])
    await gauges.refresh(ctx)
    async with ctx.db.read() as conn:
        pending = await conn.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.settled_at.is_(None))
        )
    assert _value("hotpot_orders_open", {"state": "PENDING"}) >= 1
    assert _value("hotpot_outbox_backlog") == pending
    if pending:
        assert _value("hotpot_outbox_oldest_age_seconds") > 0
    owner_share = _value("hotpot_ownership_share_bps", {"party": "owner"})
    assert 0 < owner_share <= 4_800
    transparency = (await client.get("/api/v1/transparency")).json()
    assert transparency["ownership_share_bps"]["owner"] == owner_share
