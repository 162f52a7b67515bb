"""Writes of the settlement slice and the reads they need: outbox rows to batch, batches,
records and contract deployments. Read views for people and gauges are in `views.py`;
the governance anchor outbox is governance's (`governance.repository`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.chain.contracts import Addresses
from hotpot.domain.settlement import Changes, OutboxRow, net_changes, record_kind
from hotpot.ledger.tables import ledger_entries, outbox, purchases
from hotpot.settlement.tables import chain_deployments, settlement_batches, settlement_records


async def unbatched_rows(conn: AsyncConnection, limit: int) -> list[OutboxRow]:
    stmt = (
        select(
            outbox.c.id,
            outbox.c.token,
            outbox.c.address,
            outbox.c.delta,
            ledger_entries.c.ref_kind,
            ledger_entries.c.ref_id,
        )
        .join(ledger_entries, ledger_entries.c.id == outbox.c.entry_id)
        .where(outbox.c.settled_at.is_(None), outbox.c.batch_id.is_(None))
        .order_by(outbox.c.id)
        .limit(limit)
    )
    return [OutboxRow(*row) for row in await conn.execute(stmt)]


async def batch_changes(conn: AsyncConnection, batch_id: str) -> Changes:
    rows = await conn.execute(
        select(outbox.c.token, outbox.c.address, outbox.c.delta).where(
            outbox.c.batch_id == batch_id
        )
    )
    return net_changes([(r.token, r.address, r.delta) for r in rows])


@dataclass(frozen=True)
class PurchaseFacts:
    ref_kind: str  # 'order' | 'sale'
    ref_id: str
    node_id: str
    amount_tetri: int
    occurred_at: datetime
    mints: list[tuple[str, str, int]]  # token, address, units


async def purchases_to_record(
    conn: AsyncConnection, refs: set[tuple[str, str]], from_id: int = 0
) -> list[PurchaseFacts]:
    """Purchases among `refs` that have no published record yet, with all their mints;
    `from_id`: the first outbox row of the batch being built (see below)."""
    wanted = [(k, i) for k, i in refs if k in ("order", "sale")]
    if not wanted:
        return []
    rows = await conn.execute(
        select(purchases).where(
            func.row(purchases.c.ref_kind, purchases.c.ref_id).in_(
                [func.row(k, i) for k, i in wanted]
            )
        )
    )
    facts = {(r.ref_kind, r.ref_id): r for r in rows}
    if not facts:
        return []
    recorded = await conn.execute(
        select(settlement_records.c.ref_kind, settlement_records.c.ref_id).where(
            func.row(settlement_records.c.ref_kind, settlement_records.c.ref_id).in_(
                [func.row(record_kind(k), i) for k, i in facts]
            )
        )
    )
    done = {(k, i) for k, i in recorded}
    todo = sorted(ref for ref in facts if (record_kind(ref[0]), ref[1]) not in done)
    if not todo:
        return []
    # Every purchase's mints in one statement (one statement per purchase made a batch
    # of hundreds of sales wait hundreds of round trips). A purchase without a record has
    # none of its rows in a batch yet (a batch records every purchase it touches), so its
    # rows all come at or after the batch's first (a batch is the oldest unbatched rows):
    # the bound lets the outbox be read along its key instead of whole.
    mints: dict[tuple[str, str], list[tuple[str, str, int]]] = {ref: [] for ref in todo}
    mint_rows = await conn.execute(
        select(
            ledger_entries.c.ref_kind,
            ledger_entries.c.ref_id,
            outbox.c.token,
            outbox.c.address,
            outbox.c.delta,
        )
        .join(ledger_entries, ledger_entries.c.id == outbox.c.entry_id)
        .where(
            func.row(ledger_entries.c.ref_kind, ledger_entries.c.ref_id).in_(
                [func.row(k, i) for k, i in todo]
            ),
            ledger_entries.c.kind == "mint",
            outbox.c.delta > 0,
            outbox.c.id >= from_id,
        )
        .order_by(outbox.c.id)
    )
    for m in mint_rows:
        mints[(m.ref_kind, m.ref_id)].append((m.token, m.address, int(m.delta)))
    return [
        PurchaseFacts(
            ref_kind=kind,
            ref_id=ref_id,
            node_id=str(facts[(kind, ref_id)].node_id),
            amount_tetri=int(facts[(kind, ref_id)].amount_tetri),
            occurred_at=facts[(kind, ref_id)].created_at,
            mints=mints[(kind, ref_id)],
        )
        for kind, ref_id in todo
    ]


@dataclass(frozen=True)
class NewBatch:
    """A batch as `create_batch` persisted it: what sending it needs."""

    batch_id: str
    merkle_root: str
    cid: str
    row_count: int


async def create_batch(
    conn: AsyncConnection,
    *,
    batch_id: str,
    deployment_id: int,
    root: str,
    cid: str,
    leaves: list[str],
    row_ids: list[int],
    records: list[tuple[str, str, int, str]],  # record kind, ref id, leaf index, cid
) -> bool:
    """Persist a pending batch and tag its rows; False (and nothing written) if any row was
    tagged meanwhile."""
    await conn.execute(
        insert(settlement_batches).values(
            batch_id=batch_id,
            deployment_id=deployment_id,
            status="pending",
            merkle_root=root,
            cid=cid,
            leaves=leaves,
            row_count=len(row_ids),
        )
    )
    tagged = await conn.execute(
        update(outbox)
        .where(outbox.c.id.in_(row_ids), outbox.c.batch_id.is_(None))
        .values(batch_id=batch_id)
    )
    if tagged.rowcount != len(row_ids):
        return False
    if records:
        await conn.execute(
            insert(settlement_records),
            [
                {"ref_kind": k, "ref_id": i, "batch_id": batch_id, "leaf_index": n, "cid": c}
                for k, i, n, c in records
            ],
        )
    return True


async def pending_batches(conn: AsyncConnection, deployment_id: int) -> list[Any]:
    rows = await conn.execute(
        select(settlement_batches)
        .where(
            settlement_batches.c.status == "pending",
            settlement_batches.c.deployment_id == deployment_id,
        )
        .order_by(settlement_batches.c.created_at, settlement_batches.c.batch_id)
    )
    return list(rows)


async def mark_settled(conn: AsyncConnection, batch_id: str, tx_hash: str, block: int) -> None:
    now = func.now()
    await conn.execute(
        update(settlement_batches)
        .where(settlement_batches.c.batch_id == batch_id)
        .values(status="settled", tx_hash=tx_hash, block_number=block, settled_at=now)
    )
    await conn.execute(
        update(outbox)
        .where(outbox.c.batch_id == batch_id)
        .values(settled_at=now, tx_hash=tx_hash, block_number=block)
    )


async def mark_unsettled(conn: AsyncConnection, batch_ids: Sequence[str]) -> None:
    """Batches the chain does not have (any more): back to pending, same ids and contents."""
    if not batch_ids:
        return
    await conn.execute(
        update(settlement_batches)
        .where(settlement_batches.c.batch_id.in_(list(batch_ids)))
        .values(status="pending", tx_hash=None, block_number=None, settled_at=None)
    )
    await conn.execute(
        update(outbox)
        .where(outbox.c.batch_id.in_(list(batch_ids)))
        .values(settled_at=None, tx_hash=None, block_number=None)
    )


async def settled_batches_newest_first(
    conn: AsyncConnection,
    deployment_id: int,
    limit: int,
    before: tuple[datetime, str] | None = None,
) -> list[Any]:
    """Settled batches of the deployment by creation, newest first, keyset-paged."""
    created, batch_id = settlement_batches.c.created_at, settlement_batches.c.batch_id
    conds = [
        settlement_batches.c.status == "settled",
        settlement_batches.c.deployment_id == deployment_id,
    ]
    if before is not None:
        conds.append(tuple_(created, batch_id) < tuple_(*before))
    rows = await conn.execute(
        select(settlement_batches)
        .where(and_(*conds))
        .order_by(created.desc(), batch_id.desc())
        .limit(limit)
    )
    return list(rows)


async def settled_batches_after(
    conn: AsyncConnection, deployment_id: int, block: int | None = None
) -> list[Any]:
    conds = [
        settlement_batches.c.deployment_id == deployment_id,
        settlement_batches.c.status == "settled",
    ]
    if block is not None:
        conds.append(settlement_batches.c.block_number > block)
    rows = await conn.execute(select(settlement_batches).where(and_(*conds)))
    return list(rows)


# --- contract deployments -----------------------------------------------------------------


@dataclass(frozen=True)
class Deployment:
    id: int
    chain_id: int
    addresses: Addresses
    block_number: int
    created: bool  # True when this call deployed the contracts


async def current_deployment(conn: AsyncConnection, chain_id: int) -> Deployment | None:
    row = (
        await conn.execute(
            select(chain_deployments)
            .where(chain_deployments.c.chain_id == chain_id)
            .order_by(chain_deployments.c.id.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    return Deployment(
        id=int(row.id),
        chain_id=int(row.chain_id),
        addresses=Addresses(row.thp, row.spot, row.registry, row.anchor),
        block_number=int(row.block_number),
        created=False,
    )


async def oldest_settled_batch(conn: AsyncConnection, deployment_id: int) -> str | None:
    value = await conn.scalar(
        select(settlement_batches.c.batch_id)
        .where(
            settlement_batches.c.deployment_id == deployment_id,
            settlement_batches.c.status == "settled",
        )
        .order_by(settlement_batches.c.settled_at, settlement_batches.c.batch_id)
        .limit(1)
    )
    return None if value is None else str(value)


async def record_deployment(
    conn: AsyncConnection,
    *,
    chain_id: int,
    deployer: str,
    addresses: Addresses,
    source_hash: str,
    block_number: int,
) -> int:
    new_id = await conn.scalar(
        insert(chain_deployments)
        .values(
            chain_id=chain_id,
            deployer=deployer,
            thp=addresses.thp,
            spot=addresses.spot,
            registry=addresses.registry,
            anchor=addresses.anchor,
            source_hash=source_hash,
            block_number=block_number,
        )
        .returning(chain_deployments.c.id)
    )
    return int(new_id)


async def abandon_other_deployments(conn: AsyncConnection, deployment_id: int) -> int:
    """Batches of older deployments no longer exist on chain: their rows settle again."""
    stale = select(settlement_batches.c.batch_id).where(
        settlement_batches.c.deployment_id != deployment_id,
        settlement_batches.c.status != "abandoned",
    )
    ids = [row.batch_id for row in await conn.execute(stale)]
    if not ids:
        return 0
    await conn.execute(delete(settlement_records).where(settlement_records.c.batch_id.in_(ids)))
    await conn.execute(
        update(outbox)
        .where(outbox.c.batch_id.in_(ids))
        .values(batch_id=None, settled_at=None, tx_hash=None, block_number=None)
    )
    await conn.execute(
        update(settlement_batches)
        .where(settlement_batches.c.batch_id.in_(ids))
        .values(status="abandoned")
    )
    return len(ids)
