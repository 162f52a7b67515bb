"""Gauges read from the database on a timer: open orders, the outbox, ownership shares.

Each figure comes from the repository of the slice that owns its table. Each query is
bounded by an index (open orders by status, the unsettled-outbox partial index, balance
rows by holder), not by history.
"""

from __future__ import annotations

from hotpot.context import AppContext
from hotpot.domain.caps import share_bps
from hotpot.domain.orders import OrderStatus
from hotpot.ledger import holders
from hotpot.ledger import repository as ledger
from hotpot.ledger import service as ledger_service
from hotpot.orders import repository as orders_repo
from hotpot.telemetry.metrics import ORDERS_OPEN, OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE, OWNERSHIP_SHARE

OPEN_STATES = (
    OrderStatus.PENDING,
    OrderStatus.CONFIRMED,
    OrderStatus.IN_PROGRESS,
    OrderStatus.READY,
)


async def franchisees_thp(ctx: AppContext) -> int:
    """THP units held by all franchisee accounts together."""
    async with ctx.db.read() as conn:
        return await ledger_service.franchisees_thp(conn)


async def refresh(ctx: AppContext) -> None:
    async with ctx.db.read() as conn:
        counts = await orders_repo.count_by_status(conn, [s.value for s in OPEN_STATES])
        rows_waiting, oldest_age = await ledger.outbox_backlog(conn)
        supply = await ledger.supply(conn, "THP")
        owner = await ledger.balance(conn, holders.OWNER, "THP")
        charity = await ledger.balance(conn, holders.CHARITY, "THP")
        franchisees = await ledger_service.franchisees_thp(conn)
        largest_customer = await ledger_service.largest_customer_thp(conn)
    for state in OPEN_STATES:
        ORDERS_OPEN.labels(state.value).set(counts.get(state.value, 0))
    OUTBOX_BACKLOG.set(rows_waiting)
    OUTBOX_OLDEST_AGE.set(oldest_age)
    shares = (
        ("owner", owner),
        ("franchisees", franchisees),
        ("charity", charity),
        ("largest_customer", largest_customer),  # the one-customer 49 % cap
    )
    for party, units in shares:
        OWNERSHIP_SHARE.labels(party).set(share_bps(units, supply))
