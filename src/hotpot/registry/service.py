"""The holders register, streamed row by row, and the public transparency figures."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import orjson
from sqlalchemy import case, func, select
from sqlalchemy.sql import Select

from hotpot.accounts.tables import accounts
from hotpot.context import AppContext
from hotpot.domain.caps import cap_breaches
from hotpot.domain.stake import role_by_stake
from hotpot.ledger import holders
from hotpot.ledger import repository as ledger
from hotpot.ledger.tables import ledger_balances, node_sales
from hotpot.network.tables import nodes
from hotpot.ops.gauges import franchisees_thp

COLUMNS = ("holder", "address", "thp_units", "spot_units", "kyc_status", "role")
STREAM_BATCH_ROWS = 1_000


def _holders_query() -> Select[Any]:
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
    account_key = holders.account_holder_sql()
    return (
        select(
            per_holder.c.holder,
            per_holder.c.thp,
            per_holder.c.spot,
            accounts.c.wallet_address,
            accounts.c.kyc_status,
        )
        .select_from(per_holder.outerjoin(accounts, account_key == per_holder.c.holder))
        .where((per_holder.c.thp > 0) | (per_holder.c.spot > 0))
        .order_by(per_holder.c.holder)
    )


async def holder_rows(ctx: AppContext) -> AsyncIterator[dict[str, object]]:
    """Every holder with a balance, read through a server-side cursor in small batches."""
    network = {
        holders.OWNER: ctx.settings.owner_address,
        holders.CHARITY: ctx.settings.charity_address,
        holders.CUSTODY: ctx.settings.custody_address,
        holders.POOL: ctx.settings.custody_address,
    }
    async with ctx.db.read() as conn:
        supply = await ledger.supply(conn, "THP")
        result = await conn.stream(_holders_query().execution_options(yield_per=STREAM_BATCH_ROWS))
        async for row in result:
            values: tuple[Any, ...] = tuple(row)
            holder, thp, spot, address, kyc = values
            yield {
                "holder": holder,
                "address": address or network.get(holder),
                "thp_units": int(thp),
                "spot_units": int(spot),
                "kyc_status": kyc,
                "role": role_by_stake(
                    int(thp), max(supply, int(thp)), is_owner=holder == holders.OWNER
                ).value,
            }


async def holders_csv(ctx: AppContext) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    async for row in holder_rows(ctx):
        writer.writerow([row[column] if row[column] is not None else "" for column in COLUMNS])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


async def holders_json(ctx: AppContext) -> AsyncIterator[bytes]:
    """A JSON array written element by element, so it never sits whole in memory."""
    yield b"["
    first = True
    chunk: list[bytes] = []
    async for row in holder_rows(ctx):
        chunk.append((b"" if first else b",") + orjson.dumps(row))
        first = False
        if len(chunk) >= STREAM_BATCH_ROWS:
            yield b"".join(chunk)
            chunk.clear()
    chunk.append(b"]")
    yield b"".join(chunk)


async def transparency(ctx: AppContext) -> dict[str, object]:
    async with ctx.db.read() as conn:
        thp_supply = await ledger.supply(conn, "THP")
        spot_supply = await ledger.supply(conn, "SPOT")
        charity = await ledger.balance(conn, holders.CHARITY, "THP")
        pool = await ledger.balance(conn, holders.POOL, "THP")
        custody = await ledger.balance(conn, holders.CUSTODY, "THP")
        owner = await ledger.balance(conn, holders.OWNER, "THP")
        sales = (
            await conn.execute(
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
        ).all()
    franchisees_units = await franchisees_thp(ctx)
    shares = {
        "owner": owner * 10_000 // thp_supply if thp_supply else 0,
        "franchisees": franchisees_units * 10_000 // thp_supply if thp_supply else 0,
        "charity": charity * 10_000 // thp_supply if thp_supply else 0,
    }
    breaches = cap_breaches(
        owner_units=owner, franchisees_units=franchisees_units, supply_units=thp_supply
    )
    return {
        "thp_supply_units": thp_supply,
        "spot_supply_units": spot_supply,
        "charity_thp_units": charity,
        "unclaimed_pool_thp_units": pool,
        "custody_thp_units": custody,
        "ownership_share_bps": shares,
        "cap_breaches": [breach.kind.value for breach in breaches],
        "sales_by_node": [
            {
                "node_id": str(row.id),
                "name": row.name,
                "city": row.city,
                "sales_count": int(row.sales_count),
                "volume_tetri": int(row.volume_tetri),
            }
            for row in sales
        ],
    }
