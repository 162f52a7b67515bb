"""The unclaimed pool and its distribution: pool -> the customers only, pro rata to their
ST, none beyond 49 % of supply, at most once per period (`domain.distribution`); what no
customer can take stays in the pool."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy.engine import RowMapping

from hotpot.context import AppContext
from hotpot.domain.access import AccessRole, Actor
from hotpot.domain.distribution import (
    Distribution,
    DistributionPeriod,
    NoEligibleHolders,
    PoolState,
    distribute_to_customers,
    period_of,
)
from hotpot.domain.errors import Conflict, Forbidden
from hotpot.domain.receipts import PooledReceipt
from hotpot.domain.results import Slice
from hotpot.ledger import holders
from hotpot.ledger import repository as ledger_repo
from hotpot.ledger import service as ledger_service
from hotpot.ledger.repository import Movement
from hotpot.sales import repository as repo
from hotpot.sales.service import at_or_now


def _distribution(row: RowMapping) -> Distribution:
    return Distribution(
        id=row["id"],
        period=DistributionPeriod(row["period"]),
        label=row["label"],
        pool_units=row["pool_units"],
        holders_paid=row["holders_paid"],
        created_at=row["created_at"],
    )


def _already_distributed(row: RowMapping) -> Conflict:
    return Conflict(
        "already_distributed",
        f"the pool was already distributed for period {row['label']}",
        distribution_id=str(row["id"]),
    )


async def distribute_pool(
    ctx: AppContext, actor: Actor, now: datetime | None = None
) -> Distribution:
    """Pay the THP pool to the customers pro rata, at most once per period."""
    if actor.role is not AccessRole.OWNER:
        raise Forbidden("forbidden", "only the network owner distributes the pool")
    # The period is a setting (DISTRIBUTION_PERIOD): domain.md's yearly by default.
    key = period_of(at_or_now(now), ctx.settings.periods.distribution_period)
    distribution_id = uuid4()
    async with ctx.db.transaction() as conn:
        # The pool's balance row is the distribution's lock: a racer waits here, then
        # finds the period taken (and the unique key stops it if it gets past anyway).
        pool_units = await ledger_repo.lock_balance(conn, holders.POOL, "THP")
        existing = await repo.distribution_of_period(conn, key.period.value, key.label)
        if existing is not None:
            raise _already_distributed(existing)
        if pool_units == 0:
            raise Conflict("pool_empty", "the unclaimed pool is empty: nothing to pay")
        # domain.md: only customers are paid (never the owner, a franchisee, charity, custody)
        holdings = await ledger_service.customers_thp(conn)
        supply = await ledger_repo.supply(conn, "THP")
        try:
            payouts = distribute_to_customers(pool_units, holdings, supply)
        except NoEligibleHolders as exc:
            raise Conflict("no_eligible_holders", str(exc)) from exc
        paid = {holder: units for holder, units in payouts.items() if units > 0}
        if not paid:
            raise Conflict(
                "pool_unpayable", "every customer is at the 49 % cap: the pool stays for later"
            )
        taken = await repo.claim_period(
            conn,
            {
                "id": distribution_id,
                "period": key.period.value,
                "label": key.label,
                "pool_units": sum(paid.values()),
                "holders_paid": len(paid),
                "created_by": actor.id,
            },
        )
        if not taken:
            raced = await repo.distribution_of_period(conn, key.period.value, key.label)
            assert raced is not None
            raise _already_distributed(raced)
        ref = str(distribution_id)
        await ledger_repo.post(
            conn,
            ctx.settings,
            [
                Movement("THP", "distribution", units, holders.POOL, holder, "distribution", ref)
                for holder, units in sorted(paid.items())
            ],
        )
        row = await repo.distribution_of_period(conn, key.period.value, key.label)
        assert row is not None
    return _distribution(row)


async def pool(ctx: AppContext, now: datetime | None = None) -> PoolState:
    async with ctx.db.read() as conn:
        pool_units = await ledger_repo.balance(conn, holders.POOL, "THP")
        custody = await ledger_repo.balances(conn, holders.CUSTODY)
    return PoolState(
        pool_thp_units=pool_units,
        custody_thp_units=custody["THP"],
        custody_spot_units=custody["SPOT"],
        period=ctx.settings.periods.distribution_period,
        current_period=period_of(at_or_now(now), ctx.settings.periods.distribution_period).label,
    )


async def list_distributions(ctx: AppContext, limit: int, offset: int) -> Slice[Distribution]:
    async with ctx.db.read() as conn:
        rows = await repo.list_distributions(conn, limit + 1, offset)
    return Slice([_distribution(row) for row in rows[:limit]], has_more=len(rows) > limit)


def _pooled(row: RowMapping) -> PooledReceipt:
    return PooledReceipt(
        receipt_id=row["id"],
        sale_id=row["sale_id"],
        node_id=row["node_id"],
        amount_tetri=row["amount_tetri"],
        thp_units=row["thp_units"],
        spot_units_burned=row["spot_units"],
        issued_at=row["created_at"],
        expires_at=row["expires_at"],
        expired_at=row["closed_at"],
    )


async def pooled_receipts(
    ctx: AppContext,
    limit: int,
    offset: int = 0,
    before: tuple[datetime, UUID] | None = None,
) -> Slice[PooledReceipt]:
    """The receipts behind the pool: EXPIRED ones (unclaimed to their deadline), latest
    expiry first, after the keyset position `before` (expiry, id) when given."""
    async with ctx.db.read() as conn:
        rows = await repo.expired_receipts(conn, limit + 1, offset, before)
    return Slice.of([_pooled(row) for row in rows], limit)
