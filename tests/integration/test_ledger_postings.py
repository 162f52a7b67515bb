"""Issue 11: a sale or a claim updates the rows that every sale or claim shares in its last
statements, and postings take and add in one lock order, so that concurrent postings in
opposite directions cannot deadlock."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from hotpot.context import AppContext
from hotpot.ledger import holders
from hotpot.ledger import repository as ledger
from hotpot.ledger.repository import InsufficientBalance, Movement
from tests.integration.test_sales_flow import claim, sell
from tests.support import World, ok, recorded


def _mentions(parameters: Any, value: str) -> bool:
    if isinstance(parameters, list | tuple):
        return any(_mentions(p, value) for p in parameters)
    return parameters == value


async def test_a_claim_touches_custodys_balances_in_its_last_statement(
    world: World, ctx: AppContext
) -> None:
    """Custody's rows are locked until the commit: nothing else may run after them."""
    item = await world.item(price=2_000, portions=5)
    sale = ok(await sell(world, item), 201)
    _, token = await world.customer()
    with recorded(ctx) as statements:
        ok(await claim(world, token, sale["receipt_id"], sale["activation_code"]))
    custody = [
        index
        for index, s in enumerate(statements)
        if "ledger_balances" in s.statement and _mentions(s.parameters, holders.CUSTODY)
    ]
    assert custody == [len(statements) - 1], [s.statement[:100] for s in statements]


async def test_a_sale_takes_the_dishs_portions_just_before_the_shared_counters(
    world: World, ctx: AppContext
) -> None:
    """Every sale of a dish at a node shares its portions row, and every sale shares the
    network's balances, the supply and the node's totals: those come last."""
    item = await world.item(price=2_000, portions=5)
    with recorded(ctx) as statements:
        ok(await sell(world, item), 201)
    texts = [s.statement for s in statements]
    portions = [i for i, text in enumerate(texts) if text.startswith("UPDATE availability")]
    assert len(portions) == 1, texts
    after = texts[portions[0] + 1 :]
    assert len(after) == 2, after
    assert "ledger_balances" in after[0] and "ledger_supply" in after[0]
    assert after[1].startswith("INSERT INTO node_sales")


async def _grant(ctx: AppContext, holder: str, units: int) -> None:
    async with ctx.db.transaction() as conn:
        await ledger.post(
            conn,
            ctx.settings,
            [
                Movement(token, "mint", units, None, holder, "test", str(uuid.uuid4()))
                for token in ("THP", "SPOT")
            ],
        )


async def _move(ctx: AppContext, source: str, target: str, units: int) -> None:
    ref = str(uuid.uuid4())
    async with ctx.db.transaction() as conn:
        await ledger.post(
            conn,
            ctx.settings,
            [
                Movement(token, "transfer", units, source, target, "test", ref)
                for token in ("THP", "SPOT")
            ],
        )


async def test_opposite_postings_at_once_neither_deadlock_nor_lose_units(
    world: World, ctx: AppContext
) -> None:
    first = holders.account_holder(uuid.UUID((await world.customer())[0]["id"]))
    second = holders.account_holder(uuid.UUID((await world.customer())[0]["id"]))
    await _grant(ctx, first, 1_000)
    await _grant(ctx, second, 1_000)
    await asyncio.gather(
        *(
            _move(ctx, first, second, 7) if n % 2 else _move(ctx, second, first, 5)
            for n in range(40)
        )
    )
    async with ctx.db.read() as conn:
        for token in ("THP", "SPOT"):
            assert await ledger.balance(conn, first, token) == 1_000 - 20 * 7 + 20 * 5
            assert await ledger.balance(conn, second, token) == 1_000 + 20 * 7 - 20 * 5


async def test_a_taking_beyond_the_balance_changes_nothing(world: World, ctx: AppContext) -> None:
    first = holders.account_holder(uuid.UUID((await world.customer())[0]["id"]))
    second = holders.account_holder(uuid.UUID((await world.customer())[0]["id"]))
    await _grant(ctx, first, 10)
    with pytest.raises(InsufficientBalance, match="holds too little"):
        await _move(ctx, first, second, 11)
    async with ctx.db.read() as conn:
        assert await ledger.balance(conn, first, "THP") == 10
        assert await ledger.balance(conn, second, "THP") == 0
