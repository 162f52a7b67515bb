"""The timed gauges: open orders by state, the outbox backlog and ownership shares."""

from __future__ import annotations

from uuid import UUID

import httpx
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from hotpot.accounts.tables import accounts
from hotpot.context import AppContext
from hotpot.ledger import holders
from hotpot.ledger import repository as ledger
from hotpot.ledger.tables import ledger_balances, outbox
from hotpot.ops import gauges
from hotpot.registry import repository as registry_repo
from tests.support import World, ok


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


async def test_the_franchisees_share_is_every_franchisee_account_together(
    client: httpx.AsyncClient, world: World, ctx: AppContext
) -> None:
    item = await world.item(price=5_000, portions=5)
    done = await world.order(world.tokens["customer"], world.node_b, item)
    await world.complete(done["id"], node="b")
    franchisee = ok(await client.get("/api/v1/me", headers=world.auth("franchisee")))
    await gauges.refresh(ctx)
    async with ctx.db.read() as conn:
        mine = await ledger.balance(conn, holders.account_holder(UUID(franchisee["id"])), "THP")
        # Every franchisee's THP by one join, as the register sums it.
        together = await conn.scalar(
            select(func.coalesce(func.sum(ledger_balances.c.units), 0))
            .select_from(
                ledger_balances.join(
                    accounts, registry_repo.account_holder_sql() == ledger_balances.c.holder
                )
            )
            .where(accounts.c.role == "franchisee", ledger_balances.c.token == "THP")
        )
        supply = await ledger.supply(conn, "THP")
    assert 0 < mine <= together
    assert await gauges.franchisees_thp(ctx) == together
    share = _value("hotpot_ownership_share_bps", {"party": "franchisees"})
    assert share == together * 10_000 // supply > 0
