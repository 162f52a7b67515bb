"""Read views of settlement: the settled view the chain must match, a wallet's settled and
pending split, the outbox backlog and lag the gauges show, and the record behind a proof
(with the network and registry of its batch's deployment)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, and_, func, literal, not_, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.domain.settlement import TOKENS
from hotpot.ledger.tables import outbox
from hotpot.settlement.tables import chain_deployments, settlement_batches, settlement_records


@dataclass
class SettledAt:
    """The settled view as of one chain block, read in one statement (one snapshot).

    `settled`: Σ deltas of rows recorded as settled in a block up to that block. `unsure`:
    per batch whose effect on the chain at that block the database alone cannot tell, its
    net deltas: a pending batch (sent, maybe mined, not recorded yet) and a batch recorded
    in a later block (mined after that block, or lost by a node that restarted)."""

    settled: dict[tuple[str, str], int]
    unsure: dict[str, tuple[bool, dict[tuple[str, str], int]]]  # batch: (recorded, deltas)


async def settled_view_at(conn: AsyncConnection, block: int) -> SettledAt:
    address = func.lower(outbox.c.address)
    through = and_(outbox.c.settled_at.is_not(None), outbox.c.block_number <= block)
    known = select(
        literal(None, Text).label("batch_id"),
        literal(True).label("recorded"),
        outbox.c.token,
        address.label("address"),
        func.sum(outbox.c.delta).label("delta"),
    ).where(through)
    known = known.group_by(outbox.c.token, address)
    later = (
        select(
            outbox.c.batch_id,
            func.bool_and(outbox.c.settled_at.is_not(None)).label("recorded"),
            outbox.c.token,
            address.label("address"),
            func.sum(outbox.c.delta).label("delta"),
        )
        .where(outbox.c.batch_id.is_not(None), not_(through))
        .group_by(outbox.c.batch_id, outbox.c.token, address)
    )
    view = SettledAt({}, {})
    for batch_id, recorded, token, addr, delta in await conn.execute(union_all(known, later)):
        if batch_id is None:
            view.settled[(token, addr)] = int(delta)
        else:
            entry = view.unsure.setdefault(batch_id, (bool(recorded), {}))
            entry[1][(token, addr)] = int(delta)
    return view


async def outbox_addresses(conn: AsyncConnection) -> list[tuple[str, str]]:
    rows = await conn.execute(select(outbox.c.token, func.lower(outbox.c.address)).distinct())
    return [(t, a) for t, a in rows]


async def settled_and_pending(conn: AsyncConnection, address: str) -> dict[str, tuple[int, int]]:
    """Per token: (units settled on chain, units still pending) for one chain address."""
    settled = func.coalesce(func.sum(outbox.c.delta).filter(outbox.c.settled_at.is_not(None)), 0)
    pending = func.coalesce(func.sum(outbox.c.delta).filter(outbox.c.settled_at.is_(None)), 0)
    rows = await conn.execute(
        select(outbox.c.token, settled, pending)
        # Exact match: outbox addresses are copied from the wallet rows and settings, so
        # the (address, token) index serves this instead of a scan of the whole outbox.
        .where(outbox.c.address == address)
        .group_by(outbox.c.token)
    )
    found = {token: (0, 0) for token in TOKENS}
    found.update({t: (int(s), int(p)) for t, s, p in rows})
    return found


async def settlement_lag(conn: AsyncConnection) -> float:
    value = await conn.scalar(
        select(func.extract("epoch", outbox.c.settled_at - outbox.c.created_at))
        .where(outbox.c.settled_at.is_not(None))
        .order_by(outbox.c.settled_at.desc(), outbox.c.id.desc())
        .limit(1)
    )
    return float(value or 0)


async def record_of(conn: AsyncConnection, ref_kind: str, ref_id: str) -> Any:
    return (
        await conn.execute(
            select(
                settlement_records.c.leaf_index,
                settlement_records.c.cid.label("record_cid"),
                settlement_batches,
                chain_deployments.c.chain_id,
                chain_deployments.c.registry,
            )
            .join(
                settlement_batches,
                settlement_batches.c.batch_id == settlement_records.c.batch_id,
            )
            .join(chain_deployments, chain_deployments.c.id == settlement_batches.c.deployment_id)
            .where(
                settlement_records.c.ref_kind == ref_kind,
                settlement_records.c.ref_id == ref_id,
            )
        )
    ).first()
