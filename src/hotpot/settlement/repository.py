"""Reads and writes of the settlement slice: outbox rows to batch, batches, records, views,
and the governance anchor outbox (`governance_anchors`) that the relay drains."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.chain.contracts import Changes, TallyOnChain
from hotpot.governance.tables import governance_anchors, governance_proposals, governance_votes
from hotpot.ledger.tables import ledger_entries, outbox, purchases
from hotpot.settlement.tables import settlement_batches, settlement_records

TOKENS = ("THP", "SPOT")


@dataclass(frozen=True)
class OutboxRow:
    id: int
    token: str
    address: str
    delta: int
    ref_kind: str
    ref_id: str


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


def take_batch(rows: Sequence[OutboxRow], max_recipients: int) -> list[OutboxRow]:
    """The longest prefix (in outbox order) touching at most `max_recipients` (token, address)
    pairs, cut only between two entries' references so a purchase is not split."""
    taken: list[OutboxRow] = []
    keys: set[tuple[str, str]] = set()
    for row in rows:
        key = (row.token, row.address.lower())
        if key not in keys and len(keys) >= max_recipients:
            if taken and (taken[-1].ref_kind, taken[-1].ref_id) != (row.ref_kind, row.ref_id):
                break
            if len(keys) >= 512:  # the contract's hard bound per list
                break
        keys.add(key)
        taken.append(row)
    return taken


def net_changes(rows: Sequence[tuple[str, str, int]]) -> Changes:
    """Net (token, address) deltas of rows, as mints and burns; zero nets are dropped."""
    net: dict[tuple[str, str], int] = defaultdict(int)
    for token, address, delta in rows:
        net[(token, address.lower())] += int(delta)
    out: dict[str, list[tuple[str, int]]] = {
        "THP+": [],
        "SPOT+": [],
        "THP-": [],
        "SPOT-": [],
    }
    for (token, address), delta in sorted(net.items()):
        if delta > 0:
            out[f"{token}+"].append((address, delta))
        elif delta < 0:
            out[f"{token}-"].append((address, -delta))
    return Changes(out["THP+"], out["SPOT+"], out["THP-"], out["SPOT-"])


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
    conn: AsyncConnection, refs: set[tuple[str, str]]
) -> list[PurchaseFacts]:
    """Purchases among `refs` that have no published record yet, with all their mints."""
    wanted = [(k, i) for k, i in refs if k in ("order", "sale")]
    if not wanted:
        return []
    found: list[PurchaseFacts] = []
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
                [func.row(_record_kind(k), i) for k, i in facts]
            )
        )
    )
    done = {(k, i) for k, i in recorded}
    for (kind, ref_id), row in sorted(facts.items()):
        if (_record_kind(kind), ref_id) in done:
            continue
        mint_rows = await conn.execute(
            select(outbox.c.token, outbox.c.address, outbox.c.delta)
            .join(ledger_entries, ledger_entries.c.id == outbox.c.entry_id)
            .where(
                ledger_entries.c.ref_kind == kind,
                ledger_entries.c.ref_id == ref_id,
                ledger_entries.c.kind == "mint",
                outbox.c.delta > 0,
            )
        )
        found.append(
            PurchaseFacts(
                ref_kind=kind,
                ref_id=ref_id,
                node_id=str(row.node_id),
                amount_tetri=int(row.amount_tetri),
                occurred_at=row.created_at,
                mints=[(m.token, m.address, int(m.delta)) for m in mint_rows],
            )
        )
    return found


def _record_kind(ref_kind: str) -> str:
    """Ledger ref kinds to record kinds: a walk-in sale is published as a receipt."""
    return "receipt" if ref_kind == "sale" else ref_kind


def ledger_ref_kind(record_kind: str) -> str:
    return "sale" if record_kind == "receipt" else record_kind


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


async def backlog(conn: AsyncConnection) -> tuple[int, float]:
    """(unsettled rows, age in seconds of the oldest one)."""
    row = (
        await conn.execute(
            select(
                func.count(),
                func.coalesce(func.extract("epoch", func.now() - func.min(outbox.c.created_at)), 0),
            ).where(outbox.c.settled_at.is_(None))
        )
    ).one()
    return int(row[0]), float(row[1])


async def settlement_lag(conn: AsyncConnection) -> float:
    value = await conn.scalar(
        select(func.extract("epoch", outbox.c.settled_at - outbox.c.created_at))
        .where(outbox.c.settled_at.is_not(None))
        .order_by(outbox.c.settled_at.desc(), outbox.c.id.desc())
        .limit(1)
    )
    return float(value or 0)


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


async def record_of(conn: AsyncConnection, ref_kind: str, ref_id: str) -> Any:
    return (
        await conn.execute(
            select(
                settlement_records.c.leaf_index,
                settlement_records.c.cid.label("record_cid"),
                settlement_batches,
            )
            .join(
                settlement_batches,
                settlement_batches.c.batch_id == settlement_records.c.batch_id,
            )
            .where(
                settlement_records.c.ref_kind == ref_kind,
                settlement_records.c.ref_id == ref_id,
            )
        )
    ).first()


# --- governance anchors -------------------------------------------------------------------


@dataclass(frozen=True)
class AnchorRow:
    proposal_id: UUID
    chain_proposal_id: str  # bytes32, 0x-hex
    votes_root: str  # bytes32, 0x-hex
    for_units: int
    against_units: int
    abstain_units: int
    passed: bool
    vote_count: int
    anchored_at: datetime | None
    tx_hash: str | None

    def matches(self, on_chain: TallyOnChain) -> bool:
        """The tally on chain is the one the database finalized."""
        return (
            on_chain.for_weight,
            on_chain.against_weight,
            on_chain.abstain_weight,
            on_chain.passed,
            "0x" + on_chain.votes_root.hex(),
        ) == (
            self.for_units,
            self.against_units,
            self.abstain_units,
            self.passed,
            self.votes_root.lower(),
        )


_ANCHOR_COLUMNS = [governance_anchors.c[name] for name in AnchorRow.__dataclass_fields__]


async def pending_anchors(conn: AsyncConnection, limit: int) -> list[AnchorRow]:
    """Finalized proposals not yet anchored on chain, oldest first."""
    rows = await conn.execute(
        select(*_ANCHOR_COLUMNS)
        .where(governance_anchors.c.anchored_at.is_(None))
        .order_by(governance_anchors.c.created_at, governance_anchors.c.proposal_id)
        .limit(limit)
    )
    return [AnchorRow(*row) for row in rows]


async def anchored(conn: AsyncConnection, limit: int | None) -> list[AnchorRow]:
    """Anchored rows, most recently anchored first (all of them when `limit` is None)."""
    stmt = (
        select(*_ANCHOR_COLUMNS)
        .where(governance_anchors.c.anchored_at.is_not(None))
        .order_by(governance_anchors.c.anchored_at.desc(), governance_anchors.c.proposal_id)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return [AnchorRow(*row) for row in await conn.execute(stmt)]


async def mark_anchored(conn: AsyncConnection, proposal_id: UUID, tx_hash: str | None) -> bool:
    """Record the anchor; False when another writer recorded it first (guarded UPDATE)."""
    done = await conn.execute(
        update(governance_anchors)
        .where(
            governance_anchors.c.proposal_id == proposal_id,
            governance_anchors.c.anchored_at.is_(None),
        )
        .values(anchored_at=func.now(), tx_hash=tx_hash)
    )
    return bool(done.rowcount)


async def mark_unanchored(conn: AsyncConnection, proposal_ids: Sequence[UUID] | None) -> int:
    """Anchors the chain does not have (any more) go back to pending; None means all."""
    stmt = (
        update(governance_anchors)
        .where(governance_anchors.c.anchored_at.is_not(None))
        .values(anchored_at=None, tx_hash=None)
    )
    if proposal_ids is not None:
        if not proposal_ids:
            return 0
        stmt = stmt.where(governance_anchors.c.proposal_id.in_(list(proposal_ids)))
    return int((await conn.execute(stmt)).rowcount)


async def anchor_of(conn: AsyncConnection, proposal_id: UUID) -> AnchorRow | None:
    row = (
        await conn.execute(
            select(*_ANCHOR_COLUMNS).where(governance_anchors.c.proposal_id == proposal_id)
        )
    ).first()
    return None if row is None else AnchorRow(*row)


async def proposal_tally(conn: AsyncConnection, proposal_id: UUID) -> Any:
    """The final tally stored on the proposal row (None for an unknown proposal)."""
    P = governance_proposals
    return (
        await conn.execute(
            select(
                P.c.id,
                P.c.outcome,
                P.c.votes_root,
                P.c.for_units,
                P.c.against_units,
                P.c.abstain_units,
                P.c.vote_count,
            ).where(P.c.id == proposal_id)
        )
    ).first()


async def proposal_votes(conn: AsyncConnection, proposal_id: UUID) -> list[tuple[str, str, int]]:
    """(voter address, choice, weight) of every counted vote of a proposal."""
    rows = await conn.execute(
        select(
            governance_votes.c.voter_address,
            governance_votes.c.choice,
            governance_votes.c.weight_units,
        ).where(governance_votes.c.proposal_id == proposal_id)
    )
    return [(a, c, int(w)) for a, c, w in rows]
