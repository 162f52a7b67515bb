"""Gauges read from the database on a timer: open orders, the outbox, ownership shares.

Each query is bounded by an index (open orders by status, the unsettled-outbox partial
index, two balance rows and one join over franchisee accounts), not by history.
"""

from __future__ import annotations

from sqlalchemy import func, select

from hotpot.accounts.tables import accounts
from hotpot.context import AppContext
from hotpot.domain.orders import OrderStatus
from hotpot.ledger import holders
from hotpot.ledger import repository as ledger
from hotpot.ledger.tables import ledger_balances
from hotpot.orders.tables import orders
from hotpot.settlement.views import backlog as settlement_backlog
from hotpot.telemetry.metrics import ORDERS_OPEN, OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE, OWNERSHIP_SHARE

OPEN_STATES = (
    OrderStatus.PENDING,
    OrderStatus.CONFIRMED,
    OrderStatus.IN_PROGRESS,
    OrderStatus.READY,
)


async def franchisees_thp(ctx: AppContext) -> int:
    key = holders.account_holder_sql()
    async with ctx.db.read() as conn:
        value = await conn.scalar(
            select(func.coalesce(func.sum(ledger_balances.c.units), 0))
            .select_from(ledger_balances.join(accounts, key == ledger_balances.c.holder))
            .where(accounts.c.role == "franchisee", ledger_balances.c.token == "THP")
        )
    return int(value or 0)


async def refresh(ctx: AppContext) -> None:
    async with ctx.db.read() as conn:
        rows = await conn.execute(
            select(orders.c.status, func.count())
            .where(orders.c.status.in_([s.value for s in OPEN_STATES]))
            .group_by(orders.c.status)
        )
        counts: dict[str, int] = {str(status): int(n) for status, n in rows.all()}
        rows_waiting, oldest_age = await settlement_backlog(conn)
        supply = await ledger.supply(conn, "THP")
        owner = await ledger.balance(conn, holders.OWNER, "THP")
        charity = await ledger.balance(conn, holders.CHARITY, "THP")
    for state in OPEN_STATES:
        ORDERS_OPEN.labels(state.value).set(counts.get(state.value, 0))
    OUTBOX_BACKLOG.set(rows_waiting)
    OUTBOX_OLDEST_AGE.set(oldest_age)
    franchisees = await franchisees_thp(ctx)
    for party, units in (("owner", owner), ("franchisees", franchisees), ("charity", charity)):
        OWNERSHIP_SHARE.labels(party).set(units * 10_000 // supply if supply else 0)
