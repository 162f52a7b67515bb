"""Completing an order mints by the purchase rule, once, with outbox rows in the same commit."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy import func, select

from hotpot.context import AppContext
from hotpot.ledger import holders
from hotpot.ledger import repository as ledger
from hotpot.ledger.tables import ledger_entries, outbox
from tests.support import World, bearer, ok


async def test_owner_node_worked_example(
    client: httpx.AsyncClient, world: World, ctx: AppContext
) -> None:
    account, token = await world.customer()
    item = await world.item(price=10_000, portions=5)  # 100.00 GEL
    order = await world.order(token, world.node_a, item)
    owner_before = await _balance(ctx, holders.OWNER, "THP")
    charity_before = await _balance(ctx, holders.CHARITY, "THP")
    await world.complete(order["id"])
    buyer = holders.account_holder(uuid.UUID(account["id"]))
    assert await _balance(ctx, buyer, "THP") == 980
    assert await _balance(ctx, buyer, "SPOT") == 1_000
    assert await _balance(ctx, holders.OWNER, "THP") - owner_before == 960
    assert await _balance(ctx, holders.CHARITY, "THP") - charity_before == 60
    async with ctx.db.read() as conn:
        deltas = (
            await conn.execute(
                select(outbox.c.token, outbox.c.address, outbox.c.delta)
                .join(ledger_entries, ledger_entries.c.id == outbox.c.entry_id)
                .where(ledger_entries.c.ref_id == order["id"])
            )
        ).all()
    assert sum(d.delta for d in deltas if d.token == "THP") == 2_000
    assert {d.address for d in deltas} >= {account["wallet_address"], ctx.settings.owner_address}


async def test_franchise_node_pays_the_franchisee(
    client: httpx.AsyncClient, world: World, ctx: AppContext
) -> None:
    franchisee = ok(await client.get("/api/v1/me", headers=world.auth("franchisee")))
    holder = holders.account_holder(uuid.UUID(franchisee["id"]))
    before = await _balance(ctx, holder, "THP")
    _, token = await world.customer()
    item = await world.item(price=10_000, portions=5)
    order = await world.order(token, world.node_b, item)
    await world.complete(order["id"], node="b")
    assert await _balance(ctx, holder, "THP") - before == 480


async def test_spot_daily_cap(client: httpx.AsyncClient, world: World, ctx: AppContext) -> None:
    account, token = await world.customer()
    item = await world.item(price=6_000, portions=10)  # 6 SPOT each
    for _ in range(2):
        order = await world.order(token, world.node_a, item)
        await world.complete(order["id"])
    buyer = holders.account_holder(uuid.UUID(account["id"]))
    assert await _balance(ctx, buyer, "SPOT") == 1_000  # 6 + 6 capped at 10 SPOT


async def test_concurrent_completion_mints_once(
    client: httpx.AsyncClient, world: World, ctx: AppContext
) -> None:
    account, token = await world.customer()
    item = await world.item(price=5_000, portions=5)
    order = await world.order(token, world.node_a, item)
    for role, status in (("cashier", "CONFIRMED"), ("chef", "IN_PROGRESS"), ("chef", "READY")):
        ok(await world.move(role, order["id"], status))
    results = await asyncio.gather(
        *(world.move("cashier", order["id"], "COMPLETED") for _ in range(10))
    )
    assert all(r.status_code == 200 for r in results)
    async with ctx.db.read() as conn:
        entries = await conn.scalar(
            select(func.count())
            .select_from(ledger_entries)
            .where(ledger_entries.c.ref_id == order["id"])
        )
    assert entries == 4  # owner THP, charity THP, buyer THP, buyer SPOT
    buyer = holders.account_holder(uuid.UUID(account["id"]))
    assert await _balance(ctx, buyer, "THP") == 490
    mine = ok(await client.get(f"/api/v1/orders/{order['id']}", headers=bearer(token)))
    assert mine["status"] == "COMPLETED"


async def _balance(ctx: AppContext, holder: str, token: str) -> int:
    async with ctx.db.read() as conn:
        return await ledger.balance(conn, holder, token)
