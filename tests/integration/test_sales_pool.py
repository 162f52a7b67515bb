"""Expiry into the unclaimed pool and the pool's distribution, on a database of its own
(the ledger's totals and the once-per-period rule are global, so the figures asserted
here must not see other modules' sales)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from hotpot.accounts import repository as accounts_repo
from hotpot.adapters.database import migrate
from hotpot.app import create_app
from hotpot.context import AppContext
from hotpot.domain.access import AccessRole, Actor
from hotpot.domain.distribution import period_of
from hotpot.domain.errors import Conflict
from hotpot.ledger import holders
from hotpot.ledger import repository as ledger
from hotpot.ledger.tables import ledger_balances, ledger_entries
from hotpot.ops import gauges
from hotpot.sales import expiry
from hotpot.sales import pool as pool_service
from hotpot.sales.tables import receipts
from tests.conftest import make_settings
from tests.support import World, bearer, ok

NOW = datetime.now(UTC)


def after_expiry() -> datetime:
    """Just past the lifetime of a receipt issued now (the suite may run for many minutes
    after this module was imported, so 'now' is read at each call)."""
    return datetime.now(UTC) + timedelta(days=30, minutes=5)


def migrated_database(fresh_database: Any) -> str:
    url = str(fresh_database())
    migrate(url)
    return url


@asynccontextmanager
async def app_on(database_url: str, redis_url: str) -> AsyncIterator[tuple[Any, World]]:
    """An app on this database and a network built through it (the web tests sign in
    through the same app)."""
    app = create_app(make_settings(database_url, redis_url))
    ctx = app.state.context
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield app, await World.create(client, ctx)
    await ctx.cache.close()
    await ctx.db.dispose()


@asynccontextmanager
async def world_on(database_url: str, redis_url: str) -> AsyncIterator[World]:
    async with app_on(database_url, redis_url) as (_, world):
        yield world


@pytest.fixture(scope="module")
def pool_database(fresh_database: Any) -> str:
    return migrated_database(fresh_database)


@pytest.fixture
def empty_database(fresh_database: Any) -> str:
    """A network of its own, for a case whose shares must see no other test's sales."""
    return migrated_database(fresh_database)


@pytest.fixture(scope="module")
async def pool_world(pool_database: str, redis_url: str) -> AsyncIterator[World]:
    async with world_on(pool_database, redis_url) as world:
        yield world


async def sell(world: World, item: str, token: str = "terminal", quantity: int = 1) -> Any:
    body = {
        "terminal_sale_id": uuid.uuid4().hex,
        "lines": [{"item_id": item, "quantity": quantity}],
    }
    return ok(await world.client.post("/api/v1/sales", json=body, headers=world.auth(token)), 201)


async def claim(world: World, token: str, sale: Any) -> Any:
    return ok(
        await world.client.post(
            f"/api/v1/receipts/{sale['receipt_id']}/claim",
            json={"code": sale["activation_code"]},
            headers=bearer(token),
        )
    )


async def balance(ctx: AppContext, holder: str, token: str = "THP") -> int:
    async with ctx.db.read() as conn:
        return await ledger.balance(conn, holder, token)


async def thp_holdings(ctx: AppContext) -> dict[str, int]:
    async with ctx.db.read() as conn:
        rows = await conn.execute(
            select(ledger_balances.c.holder, ledger_balances.c.units).where(
                ledger_balances.c.token == "THP"
            )
        )
        return {row.holder: int(row.units) for row in rows}


async def customer_holders(ctx: AppContext) -> set[str]:
    async with ctx.db.read() as conn:
        ids = await accounts_repo.ids_with_role(conn, AccessRole.CUSTOMER.value)
    return {holders.account_holder(account_id) for account_id in ids}


def owner_actor(world: World) -> Actor:
    return Actor(role=AccessRole.OWNER, id=uuid.uuid4())


async def test_a_tiny_network_refuses_a_claim_above_49_percent(pool_world: World) -> None:
    world, ctx = pool_world, pool_world.ctx
    # 10 tetri mint 2 THP units: owner and charity floor to 0, the buyer's share is all of it.
    item = await world.item(price=10, portions=10)
    sale = await sell(world, item)
    assert sale["thp_units"] == 2
    account, token = await world.customer()
    refused = await world.client.post(
        f"/api/v1/receipts/{sale['receipt_id']}/claim",
        json={"code": sale["activation_code"]},
        headers=bearer(token),
    )
    assert refused.status_code == 409 and refused.json()["code"] == "customer_cap_exceeded"
    assert await balance(ctx, holders.account_holder(uuid.UUID(account["id"]))) == 0
    assert await balance(ctx, holders.CUSTODY) == 2
    # A bigger network: the same receipt can now be claimed (2 of >= 2 002 units).
    big = await world.item(price=100_000, portions=10)
    await sell(world, big)
    ok(
        await world.client.post(
            f"/api/v1/receipts/{sale['receipt_id']}/claim",
            json={"code": sale["activation_code"]},
            headers=bearer(token),
        )
    )


async def test_expiry_feeds_the_pool_exactly_once(pool_world: World) -> None:
    world, ctx = pool_world, pool_world.ctx
    item = await world.item(price=7_000, portions=50)
    sales = [await sell(world, item) for _ in range(5)]
    _, token = await world.customer()
    await claim(world, token, sales[0])  # a claimed receipt never expires
    pool_before = await balance(ctx, holders.POOL)
    custody_before = await balance(ctx, holders.CUSTODY)
    spot_custody_before = await balance(ctx, holders.CUSTODY, "SPOT")

    early = await expiry.expire_receipts(ctx, now=datetime.now(UTC) + timedelta(days=29))
    assert early.expired == 0
    # Three sweeps at once: each due receipt expires once, in exactly one of them.
    runs = await asyncio.gather(
        *(expiry.expire_receipts(ctx, now=after_expiry()) for _ in range(3))
    )
    expired = sum(run.expired for run in runs)
    to_pool = sum(run.thp_units_to_pool for run in runs)
    burned = sum(run.spot_units_burned for run in runs)
    live = sales[1:]
    assert expired >= len(live)  # plus the receipts of the test above, if any were left
    assert to_pool >= sum(s["thp_units"] for s in live)
    assert await balance(ctx, holders.POOL) - pool_before == to_pool
    assert custody_before - await balance(ctx, holders.CUSTODY) == to_pool
    assert spot_custody_before - await balance(ctx, holders.CUSTODY, "SPOT") == burned
    assert await balance(ctx, holders.POOL, "SPOT") == 0  # SPOT is burned, never pooled
    assert (await expiry.expire_receipts(ctx, now=after_expiry())).expired == 0
    async with ctx.db.read() as conn:
        entries = (
            await conn.execute(
                select(ledger_entries.c.ref_id).where(ledger_entries.c.kind == "expiry")
            )
        ).all()
    assert len(entries) == len({row.ref_id for row in entries})  # one per receipt

    late = await world.client.post(
        f"/api/v1/receipts/{sales[1]['receipt_id']}/claim",
        json={"code": sales[1]["activation_code"]},
        headers=bearer(token),
    )
    assert late.status_code == 410 and late.json()["code"] == "receipt_expired"
    public = ok(await world.client.get("/api/v1/pool"))
    assert public["pool_thp_units"] == await balance(ctx, holders.POOL)
    assert public["period"] == "YEARLY"


async def test_distribution_pays_the_pool_pro_rata_to_the_last_unit(pool_world: World) -> None:
    world, ctx = pool_world, pool_world.ctx
    item = await world.item(price=3_300, portions=50)
    for token in ("terminal", "terminal_b", "terminal"):
        await sell(world, item, token)  # the franchisee holds THP too
    _, customer = await world.customer()
    await claim(world, customer, await sell(world, item))
    await expiry.expire_receipts(ctx, now=after_expiry())
    pool = await balance(ctx, holders.POOL)
    assert pool > 0
    before = await thp_holdings(ctx)
    customers = await customer_holders(ctx)
    eligible = {h: u for h, u in before.items() if h in customers and u > 0}
    assert eligible and any(h.startswith(holders.ACCOUNT_PREFIX) for h in before.keys() - customers)
    total = sum(eligible.values())

    distribution = await pool_service.distribute_pool(
        ctx, owner_actor(world), now=NOW.replace(year=2101, month=3, day=1)
    )
    assert distribution.pool_units == pool and distribution.label == "2101"
    after = await thp_holdings(ctx)
    assert after[holders.POOL] == 0
    paid = {h: after.get(h, 0) - before.get(h, 0) for h in after}
    assert sum(paid.values()) == 0  # the pool's loss is exactly the holders' gain
    assert sum(u for h, u in paid.items() if h != holders.POOL) == pool
    # domain.md (settled): customers only; the owner and franchisees are never paid.
    for excluded in before.keys() - customers - {holders.POOL}:
        assert paid.get(excluded, 0) == 0, excluded
    assert before[holders.OWNER] > 0 and paid[holders.OWNER] == 0
    for holder, units in eligible.items():
        fair, remainder = divmod(pool * units, total)
        assert paid[holder] in ((fair, fair + 1) if remainder else (fair,))
    assert distribution.holders_paid == sum(1 for h in eligible if paid[h] > 0)
    async with ctx.db.read() as conn:
        entries = (
            await conn.execute(
                select(ledger_entries.c.to_holder, ledger_entries.c.units).where(
                    ledger_entries.c.ref_id == str(distribution.id)
                )
            )
        ).all()
    assert sum(e.units for e in entries) == pool
    listed = ok(await world.client.get("/api/v1/pool/distributions"))
    assert str(distribution.id) in {d["id"] for d in listed["items"]}


async def test_concurrent_distributions_for_one_period_pay_once(pool_world: World) -> None:
    world, ctx = pool_world, pool_world.ctx
    item = await world.item(price=9_000, portions=10)
    await sell(world, item)
    await expiry.expire_receipts(ctx, now=after_expiry())
    pool = await balance(ctx, holders.POOL)
    assert pool > 0
    at = NOW.replace(year=2102, month=3, day=1)
    results = await asyncio.gather(
        *(pool_service.distribute_pool(ctx, owner_actor(world), now=at) for _ in range(4)),
        return_exceptions=True,
    )
    done = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(done) == 1 and len(refused) == 3
    assert {e.code for e in refused} == {"already_distributed"}
    assert {e.extra["distribution_id"] for e in refused} == {str(done[0].id)}
    assert done[0].pool_units == pool and await balance(ctx, holders.POOL) == 0
    # The period stays taken even after the pool fills again.
    await sell(world, item)
    await expiry.expire_receipts(ctx, now=after_expiry())
    with pytest.raises(Conflict) as again:
        await pool_service.distribute_pool(ctx, owner_actor(world), now=at + timedelta(days=30))
    assert again.value.code == "already_distributed"
    refilled = await balance(ctx, holders.POOL)
    assert refilled > 0
    next_year = await pool_service.distribute_pool(
        ctx, owner_actor(world), now=NOW.replace(year=2103, month=3, day=1)
    )
    assert next_year.pool_units == refilled and await balance(ctx, holders.POOL) == 0
    with pytest.raises(Conflict) as empty:
        await pool_service.distribute_pool(
            ctx, owner_actor(world), now=NOW.replace(year=2104, month=3, day=1)
        )
    assert empty.value.code == "pool_empty"


async def test_only_the_owner_distributes_over_http(pool_world: World) -> None:
    world, ctx = pool_world, pool_world.ctx
    for role in ("customer", "franchisee", "cashier", "terminal", "compliance"):
        refused = await world.client.post("/api/v1/pool/distributions", headers=world.auth(role))
        assert refused.status_code == 403, role
    for role in ("customer", "terminal"):
        refused = await world.client.post("/api/v1/receipts/expire", headers=world.auth(role))
        assert refused.status_code == 403, role
    assert (await world.client.post("/api/v1/pool/distributions")).status_code == 401
    item = await world.item(price=4_000, portions=10)
    await sell(world, item)
    await expiry.expire_receipts(ctx, now=after_expiry())
    first = ok(
        await world.client.post("/api/v1/pool/distributions", headers=world.auth("owner")), 201
    )
    assert first["label"] == period_of(datetime.now(UTC)).label
    second = await world.client.post("/api/v1/pool/distributions", headers=world.auth("owner"))
    assert second.status_code == 409
    assert second.json()["code"] == "already_distributed"
    assert second.json()["distribution_id"] == first["id"]
    swept = ok(await world.client.post("/api/v1/receipts/expire", headers=world.auth("owner")))
    assert swept["expired"] == 0  # nothing is 30 days old in real time


async def test_the_prototype_case_keeps_the_owner_under_its_cap(
    empty_database: str, redis_url: str
) -> None:
    """50 x 100 GEL at the till, one receipt claimed, the rest expired, then distribute:
    before the settled rule the owner went from 41 % to 67 % and breached its cap."""
    async with world_on(empty_database, redis_url) as world:
        ctx = world.ctx
        item = await world.item(price=10_000, portions=60)
        sales = [await sell(world, item) for _ in range(50)]
        account, token = await world.customer()
        await claim(world, token, sales[0])
        await expiry.expire_receipts(ctx, now=after_expiry())
        before = ok(await world.client.get("/api/v1/transparency"))
        assert before["cap_breaches"] == []
        pool = before["unclaimed_pool_thp_units"]
        assert pool == 49 * 980

        distribution = ok(
            await world.client.post("/api/v1/pool/distributions", headers=world.auth("owner")),
            201,
        )
        after = ok(await world.client.get("/api/v1/transparency"))
        assert after["cap_breaches"] == []
        assert after["ownership_share_bps"] == before["ownership_share_bps"]
        assert after["ownership_share_bps"]["owner"] <= 4_800
        assert after["thp_supply_units"] == before["thp_supply_units"] == 50 * 2_000
        # The lone customer is filled exactly to 49 % (49 000 of 100 000 units); nothing
        # is left in the pool, and nobody else was paid.
        customer = holders.account_holder(uuid.UUID(account["id"]))
        assert await balance(ctx, customer) == 49_000
        assert distribution["pool_units"] == pool and distribution["holders_paid"] == 1
        assert after["unclaimed_pool_thp_units"] == 0


async def test_a_customer_above_49_percent_is_flagged_wherever_caps_are_shown(
    empty_database: str, redis_url: str
) -> None:
    """The purchase rule never refuses: a lone buyer's order of 0.10 GEL in a new network
    mints 2 THP units, both to the buyer (owner and charity floor to 0): 100 % of supply."""
    async with world_on(empty_database, redis_url) as world:
        item = await world.item(price=10, portions=5)
        done = await world.order(world.tokens["customer"], world.node_a, item)
        await world.complete(done["id"])
        figures = ok(await world.client.get("/api/v1/transparency"))
        assert figures["thp_supply_units"] == 2
        assert figures["cap_breaches"] == ["customer"]
        await gauges.refresh(world.ctx)
        share = REGISTRY.get_sample_value(
            "hotpot_ownership_share_bps", {"party": "largest_customer"}
        )
        assert share == 10_000


async def test_the_receipts_behind_the_pool_are_listed_by_keyset(pool_world: World) -> None:
    world, ctx = pool_world, pool_world.ctx
    item = await world.item(price=2_500, portions=50)
    sales = [await sell(world, item) for _ in range(4)]
    _, token = await world.customer()
    await claim(world, token, sales[0])  # claimed: never behind the pool
    # Two sweeps at different moments, so the expiry times differ and order the list.
    await expiry.expire_receipts(ctx, now=after_expiry())
    late = await sell(world, item)
    await expiry.expire_receipts(ctx, now=after_expiry() + timedelta(days=1))
    pages: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = ok(
            await world.client.get(
                "/api/v1/pool/receipts", params=query, headers=world.auth("owner")
            )
        )
        pages.append(page["items"])
        assert len(page["items"]) <= 2
        cursor = page["next_cursor"]
        if cursor is None:
            break
    listed = [row for page in pages for row in page]
    ids = [row["receipt_id"] for row in listed]
    assert len(ids) == len(set(ids))  # no receipt on two pages
    assert ids[0] == late["receipt_id"]  # the latest expiry first
    assert [row["expired_at"] for row in listed] == sorted(
        (row["expired_at"] for row in listed), reverse=True
    )
    assert {s["receipt_id"] for s in sales[1:]} <= set(ids)
    assert sales[0]["receipt_id"] not in ids
    first = next(row for row in listed if row["receipt_id"] == late["receipt_id"])
    assert first["thp_units"] == late["thp_units"]
    assert first["spot_units_burned"] == late["spot_units"]
    assert first["amount_tetri"] == 2_500
    assert first["node_id"] == world.node_a
    async with ctx.db.read() as conn:
        expired_total = await conn.scalar(
            select(func.count()).select_from(receipts).where(receipts.c.status == "EXPIRED")
        )
    assert len(ids) == expired_total
    bad = await world.client.get(
        "/api/v1/pool/receipts", params={"cursor": "yesterday"}, headers=world.auth("owner")
    )
    assert bad.status_code == 422 and "cursor" in bad.text
    # An offset after the cursor skips that many more (the keyset lists' shared shape).
    second = ok(
        await world.client.get(
            "/api/v1/pool/receipts",
            params={"limit": 1, "offset": 1},
            headers=world.auth("owner"),
        )
    )
    assert [row["receipt_id"] for row in second["items"]] == ids[1:2]
    for role in ("customer", "franchisee", "terminal", "compliance"):
        refused = await world.client.get("/api/v1/pool/receipts", headers=world.auth(role))
        assert refused.status_code == 403, role
    assert (await world.client.get("/api/v1/pool/receipts")).status_code == 401
