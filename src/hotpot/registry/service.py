"""The holders register, streamed row by row, and the public transparency figures."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

import orjson

from hotpot.context import AppContext
from hotpot.domain.caps import cap_breaches, share_bps
from hotpot.domain.registry import NodeSales, OwnershipShares, RegisterEntry, Transparency
from hotpot.domain.stake import role_by_stake
from hotpot.ledger import holders
from hotpot.ledger import repository as ledger
from hotpot.ledger import service as ledger_service
from hotpot.registry import repository as repo

COLUMNS = ("holder", "address", "thp_units", "spot_units", "kyc_status", "role")
STREAM_BATCH_ROWS = 1_000


async def holder_rows(ctx: AppContext) -> AsyncIterator[RegisterEntry]:
    """Every holder with a balance, read through a server-side cursor in small batches."""
    network = holders.network_addresses(ctx.settings)
    async with ctx.db.read() as conn:
        supply = await ledger.supply(conn, "THP")
        async for holder, thp, spot, address, kyc in repo.register(conn, STREAM_BATCH_ROWS):
            yield RegisterEntry(
                holder=holder,
                address=address or network.get(holder),
                thp_units=thp,
                spot_units=spot,
                kyc_status=kyc,
                role=role_by_stake(thp, max(supply, thp), is_owner=holder == holders.OWNER),
            )


async def holders_csv(ctx: AppContext) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    async for entry in holder_rows(ctx):
        values = (getattr(entry, column) for column in COLUMNS)
        writer.writerow(["" if value is None else value for value in values])
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
    async for entry in holder_rows(ctx):
        chunk.append((b"" if first else b",") + orjson.dumps(entry))
        first = False
        if len(chunk) >= STREAM_BATCH_ROWS:
            yield b"".join(chunk)
            chunk.clear()
    chunk.append(b"]")
    yield b"".join(chunk)


async def transparency(ctx: AppContext) -> Transparency:
    async with ctx.db.read() as conn:
        thp_supply = await ledger.supply(conn, "THP")
        spot_supply = await ledger.supply(conn, "SPOT")
        charity = await ledger.balance(conn, holders.CHARITY, "THP")
        pool = await ledger.balance(conn, holders.POOL, "THP")
        custody = await ledger.balance(conn, holders.CUSTODY, "THP")
        owner = await ledger.balance(conn, holders.OWNER, "THP")
        sales = await repo.sales_by_node(conn)
        franchisees_units = await ledger_service.franchisees_thp(conn)
        largest_customer = await ledger_service.largest_customer_thp(conn)
    breaches = cap_breaches(
        owner_units=owner,
        franchisees_units=franchisees_units,
        supply_units=thp_supply,
        largest_customer_units=largest_customer,
    )
    return Transparency(
        thp_supply_units=thp_supply,
        spot_supply_units=spot_supply,
        charity_thp_units=charity,
        unclaimed_pool_thp_units=pool,
        custody_thp_units=custody,
        ownership_share_bps=OwnershipShares(
            owner=share_bps(owner, thp_supply),
            franchisees=share_bps(franchisees_units, thp_supply),
            charity=share_bps(charity, thp_supply),
        ),
        cap_breaches=[breach.kind.value for breach in breaches],
        sales_by_node=[
            NodeSales(
                node_id=row["id"],
                name=row["name"],
                city=row["city"],
                sales_count=int(row["sales_count"]),
                volume_tetri=int(row["volume_tetri"]),
            )
            for row in sales
        ],
    )
