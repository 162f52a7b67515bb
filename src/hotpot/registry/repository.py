"""Read views of the registry: the holders register and sales per node.

The registry is the read side of the network: these queries join the ledger's balances
with the accounts and nodes they belong to, so that a register of 100k holders streams
from one server-side cursor. They only read; every table keeps its one writer (its slice).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import Select, Text, case, cast, func, literal, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement

from hotpot.accounts.tables import accounts
from hotpot.ledger.holders import ACCOUNT_PREFIX
from hotpot.ledger.tables import ledger_balances, node_sales
from hotpot.network.tables import nodes


def account_holder_sql() -> ColumnElement[str]:
    """`ledger.holders.account_holder` in SQL: an accounts row's holder key, for joins."""
    return literal(ACCOUNT_PREFIX) + cast(accounts.c.id, Text)


async def sales_by_node(conn: AsyncConnection) -> list[RowMapping]:
    """Each node's running sales totals with its name and city, by name."""
    stmt = (
        select(
            nodes.c.id,
            nodes.c.name,
            nodes.c.city,
            node_sales.c.sales_count,
            node_sales.c.volume_tetri,
        )
        .select_from(nodes.join(node_sales, node_sales.c.node_id == nodes.c.id))
        .order_by(nodes.c.name)
    )
    return list((await conn.execute(stmt)).mappings())


def _register_query() -> Select[Any]:
    thp = func.coalesce(
        func.sum(case((ledger_balances.c.token == "THP", ledger_balances.c.units))), 0
    )
    spot = func.coalesce(
        func.sum(case((ledger_balances.c.token == "SPOT", ledger_balances.c.units))), 0
    )
    per_holder = (
        select(ledger_balances.c.holder, thp.label("thp"), spot.label("spot"))
        .group_by(ledger_balances.c.holder)
        .subquery()
    )
    return (
        select(
            per_holder.c.holder,
            per_holder.c.thp,
            per_holder.c.spot,
            accounts.c.wallet_address,
            accounts.c.kyc_status,
        )
        .select_from(per_holder.outerjoin(accounts, account_holder_sql() == per_holder.c.holder))
        .where((per_holder.c.thp > 0) | (per_holder.c.spot > 0))
        .order_by(per_holder.c.holder)
    )


async def register(
    conn: AsyncConnection, batch_rows: int
) -> AsyncIterator[tuple[str, int, int, str | None, str | None]]:
    """Every holder with a balance, by holder: (holder, THP, SPOT, wallet address, KYC status),
    read through a server-side cursor `batch_rows` at a time."""
    result = await conn.stream(_register_query().execution_options(yield_per=batch_rows))
    async for row in result:
        holder, thp, spot, address, kyc = tuple(row)
        yield holder, int(thp), int(spot), address, kyc
