"""Read views of settlement: the settled view the chain must match, a wallet's settled and
pending split, the outbox backlog and lag the gauges show, and the record behind a proof
(with the network and registry of its batch's deployment)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.domain.settlement import TOKENS
from hotpot.ledger.tables import outbox
from hotpot.settlement.tables import chain_deployments, settlement_batches, settlement_records


async def settled_view(conn: AsyncConnection) -> dict[tuple[str, str], int]:
    """Sum of settled deltas per (token, address) — what the chain must show."""
    rows = await conn.execute(
        select(outbox.c.token, func.lower(outbox.c.address), func.sum(outbox.c.delta))
        .where(outbox.c.settled_at.is_not(None))
        .group_by(outbox.c.token, func.lower(outbox.c.address))
    )
    return {(t, a): int(s) for t, a, s in rows}


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
