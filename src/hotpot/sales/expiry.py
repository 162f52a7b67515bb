"""Receipt expiry: a live receipt past its deadline gives its THP to the pool; SPOT is burned.

Soulbound voting power (SPOT) is never pooled. `hotpot receipts expire` runs the sweep;
a claim that finds its receipt expired expires it on the spot (`sales.receipts`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.config import Settings
from hotpot.context import AppContext
from hotpot.domain.receipts import LIVE_STATUSES, ExpirySweep, ReceiptStatus
from hotpot.ledger import holders
from hotpot.ledger import repository as ledger_repo
from hotpot.ledger.repository import Movement
from hotpot.sales import repository as repo
from hotpot.sales.service import at_or_now
from hotpot.telemetry.metrics import RECEIPTS

EXPIRY_BATCH = 500
# The ledger's ref_kind of movements made for a receipt (its claim or its expiry).
RECEIPT_REF = "receipt"
_LIVE = [status.value for status in LIVE_STATUSES]


async def expire_locked(
    settings: Settings, conn: AsyncConnection, rows: list[RowMapping], at: datetime
) -> ExpirySweep:
    """EXPIRE locked-for-update live receipts: THP to the pool, SPOT burned."""
    moves: list[Movement] = []
    expired = 0
    for row in rows:
        updated = await repo.update_receipt(
            conn, row["id"], _LIVE, {"status": ReceiptStatus.EXPIRED.value, "closed_at": at}
        )
        if updated is None:
            continue
        expired += 1
        ref = str(row["id"])
        moves.append(
            Movement(
                "THP", "expiry", row["thp_units"], holders.CUSTODY, holders.POOL, RECEIPT_REF, ref
            )
        )
        moves.append(
            Movement("SPOT", "burn", row["spot_units"], holders.CUSTODY, None, RECEIPT_REF, ref)
        )
    await ledger_repo.post(conn, settings, moves)
    thp = sum(m.units for m in moves if m.token == "THP")
    spot = sum(m.units for m in moves if m.token == "SPOT")
    return ExpirySweep(expired, thp, spot)


async def expire_receipts(ctx: AppContext, now: datetime | None = None) -> ExpirySweep:
    """Expire every live receipt past its deadline (what `hotpot receipts expire` runs).

    Batches of rows locked with SKIP LOCKED and a guarded status change: two sweeps at
    once (or a sweep and a claim) never expire a receipt twice.
    """
    at = at_or_now(now)
    total = ExpirySweep()
    while True:
        async with ctx.db.transaction() as conn:
            rows = await repo.due_receipts_for_update(conn, at, EXPIRY_BATCH)
            total += await expire_locked(ctx.settings, conn, rows, at)
        if len(rows) < EXPIRY_BATCH:
            break
    if total.expired:
        RECEIPTS.labels("expired").inc(total.expired)
    return total
