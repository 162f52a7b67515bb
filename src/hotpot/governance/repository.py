"""SQL for proposals, snapshots, votes and chain anchors."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    and_,
    case,
    cast,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.domain.governance import GovernanceSettings, ProposalStatus
from hotpot.domain.tokenomics import BPS_DENOMINATOR
from hotpot.governance.tables import (
    governance_anchors,
    governance_proposals,
    governance_snapshots,
    governance_votes,
)
from hotpot.ledger import holders
from hotpot.ledger import repository as ledger

P = governance_proposals
# SPOT that is nobody's voting power (the pool holds none: SPOT is burned at expiry).
NOT_VOTING = (holders.CUSTODY, holders.POOL)


def _votes(choice: str | None) -> ColumnElement[Any]:
    """The running weight (or count) of a proposal's votes, for the enclosing row."""
    V = governance_votes
    where = [V.c.proposal_id == P.c.id]
    if choice is None:
        return select(func.count()).where(*where).scalar_subquery()
    summed = func.coalesce(func.sum(V.c.weight_units), 0)
    return select(cast(summed, BigInteger)).where(*where, V.c.choice == choice).scalar_subquery()


# Votes do not write the proposal row (that write made them serial): until the finalize
# stores the tally on the row, its tally columns are read as sums over its votes.
LIVE: dict[str, ColumnElement[Any]] = {
    name: case((P.c.finalized_at.is_(None), _votes(choice)), else_=P.c[name])
    for name, choice in (
        ("for_units", "FOR"),
        ("against_units", "AGAINST"),
        ("abstain_units", "ABSTAIN"),
        ("vote_count", None),
    )
}
PROPOSAL = [LIVE[c.name].label(c.name) if c.name in LIVE else c for c in P.c]


async def insert_proposal(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(insert(P).values(**values))


async def proposal(conn: AsyncConnection, proposal_id: UUID) -> RowMapping | None:
    return (await conn.execute(select(*PROPOSAL).where(P.c.id == proposal_id))).mappings().first()


async def proposal_for_update(conn: AsyncConnection, proposal_id: UUID) -> RowMapping | None:
    stmt = select(*PROPOSAL).where(P.c.id == proposal_id).with_for_update(of=P)
    return (await conn.execute(stmt)).mappings().first()


async def proposal_for_vote(
    conn: AsyncConnection, proposal_id: UUID, holder: str, voter_id: UUID
) -> RowMapping | None:
    """What a vote checks, with a share lock on the proposal row: votes share it with each
    other (they run at once) and wait for a finalize, which takes it FOR UPDATE.

    Also the voter's snapshot units (`weight`) and whether it has voted (`voted`)."""
    S, V = governance_snapshots, governance_votes
    weight = (
        select(S.c.units).where(S.c.proposal_id == P.c.id, S.c.holder == holder).scalar_subquery()
    )
    voted = select(V.c.voter_id).where(V.c.proposal_id == P.c.id, V.c.voter_id == voter_id)
    stmt = (
        select(
            P.c.kind,
            P.c.opens_at,
            P.c.closes_at,
            P.c.finalized_at,
            func.coalesce(weight, 0).label("weight"),
            voted.exists().label("voted"),
        )
        .where(P.c.id == proposal_id)
        .with_for_update(of=P, read=True)
    )
    return (await conn.execute(stmt)).mappings().first()


async def take_snapshot(
    conn: AsyncConnection, proposal_id: UUID, opens_at: datetime, closes_at: datetime
) -> RowMapping:
    """Copy every committed voting SPOT balance, then open the window; returns the row.

    Custody's SPOT (the buyers' shares of unclaimed till receipts) is nobody's voting
    power yet (domain.md), so it is left out of the copy. The copy is one INSERT ...
    SELECT over the ledger's balances, so it sees one consistent committed state of them;
    the snapshot supply (the quorum's denominator) is the sum of that very copy, so
    weights and supply can never disagree.
    """
    holdings = ledger.positive_balances("SPOT", NOT_VOTING).subquery()
    await conn.execute(
        insert(governance_snapshots).from_select(
            ["proposal_id", "holder", "units"],
            select(literal(proposal_id), holdings.c.holder, holdings.c.units),
        )
    )
    supply = select(func.coalesce(func.sum(governance_snapshots.c.units), 0)).where(
        governance_snapshots.c.proposal_id == proposal_id
    )
    row = await conn.execute(
        update(P)
        .where(P.c.id == proposal_id)
        .values(
            opens_at=opens_at,
            closes_at=closes_at,
            snapshot_at=func.clock_timestamp(),
            snapshot_supply_units=supply.scalar_subquery(),
        )
        .returning(*P.c)
    )
    return row.mappings().one()


async def snapshot_units(conn: AsyncConnection, proposal_id: UUID, holder: str) -> int:
    value = await conn.scalar(
        select(governance_snapshots.c.units).where(
            governance_snapshots.c.proposal_id == proposal_id,
            governance_snapshots.c.holder == holder,
        )
    )
    return int(value or 0)


async def insert_vote(conn: AsyncConnection, values: dict[str, Any]) -> RowMapping | None:
    """The vote, or None when this wallet has already voted on this proposal."""
    stmt = (
        pg_insert(governance_votes)
        .values(**values)
        .on_conflict_do_nothing()
        .returning(*governance_votes.c)
    )
    return (await conn.execute(stmt)).mappings().first()


async def votes_of(conn: AsyncConnection, proposal_id: UUID) -> list[RowMapping]:
    stmt = (
        select(governance_votes)
        .where(governance_votes.c.proposal_id == proposal_id)
        .order_by(governance_votes.c.voter_address)
    )
    return list((await conn.execute(stmt)).mappings())


async def list_votes(
    conn: AsyncConnection, proposal_id: UUID, limit: int, offset: int
) -> list[RowMapping]:
    stmt = (
        select(governance_votes)
        .where(governance_votes.c.proposal_id == proposal_id)
        .order_by(governance_votes.c.voter_address)
        .limit(limit)
        .offset(offset)
    )
    return list((await conn.execute(stmt)).mappings())


async def vote_of(conn: AsyncConnection, proposal_id: UUID, voter_id: UUID) -> RowMapping | None:
    stmt = select(governance_votes).where(
        governance_votes.c.proposal_id == proposal_id, governance_votes.c.voter_id == voter_id
    )
    return (await conn.execute(stmt)).mappings().first()


async def finalize(
    conn: AsyncConnection,
    proposal_id: UUID,
    *,
    outcome: str,
    votes_root: str,
    weights: tuple[int, int, int],
    vote_count: int,
    anchor: dict[str, Any],
) -> RowMapping:
    """Record the final tally on the proposal and queue its chain anchor, together."""
    for_units, against_units, abstain_units = weights
    row = await conn.execute(
        update(P)
        .where(P.c.id == proposal_id, P.c.finalized_at.is_(None))
        .values(
            finalized_at=func.now(),
            outcome=outcome,
            votes_root=votes_root,
            for_units=for_units,
            against_units=against_units,
            abstain_units=abstain_units,
            vote_count=vote_count,
        )
        .returning(*P.c)
    )
    await conn.execute(insert(governance_anchors).values(proposal_id=proposal_id, **anchor))
    return row.mappings().one()


async def mark_executed(
    conn: AsyncConnection,
    proposal_id: UUID,
    executed_at: datetime,
    executed_by: UUID,
    tokenomics_version: int | None,
) -> RowMapping:
    row = await conn.execute(
        update(P)
        .where(P.c.id == proposal_id, P.c.executed_at.is_(None))
        .values(
            executed_at=executed_at,
            executed_by=executed_by,
            tokenomics_version=tokenomics_version,
        )
        .returning(*P.c)
    )
    return row.mappings().one()


async def anchor(conn: AsyncConnection, proposal_id: UUID) -> RowMapping | None:
    stmt = select(governance_anchors).where(governance_anchors.c.proposal_id == proposal_id)
    return (await conn.execute(stmt)).mappings().first()


def status_expression(now: datetime, settings: GovernanceSettings) -> ColumnElement[str]:
    """`domain.governance.proposal_status` in SQL, so lists can filter on it.

    Mirrors the domain rule over the running weights (the live tally, `LIVE`);
    tests check that the two agree.
    """
    cast_units = LIVE["for_units"] + LIVE["against_units"] + LIVE["abstain_units"]
    passed = and_(
        cast_units > 0,
        cast_units * BPS_DENOMINATOR >= P.c.snapshot_supply_units * settings.quorum_bps,
        LIVE["for_units"] * BPS_DENOMINATOR > cast_units * settings.pass_bps,
    )
    return case(
        (P.c.opens_at.is_(None), literal(ProposalStatus.PROPOSED.value)),
        (P.c.opens_at > now, literal(ProposalStatus.PROPOSED.value)),
        (P.c.closes_at > now, literal(ProposalStatus.VOTING.value)),
        (~passed, literal(ProposalStatus.REJECTED.value)),
        (P.c.kind == "DISH", literal(ProposalStatus.APPROVED.value)),
        (P.c.executed_at.is_not(None), literal(ProposalStatus.EXECUTED.value)),
        (P.c.closes_at + settings.timelock > now, literal(ProposalStatus.QUEUED.value)),
        else_=literal(ProposalStatus.EXECUTABLE.value),
    )


async def list_proposals(
    conn: AsyncConnection,
    *,
    now: datetime,
    settings: GovernanceSettings,
    status: ProposalStatus | None,
    kind: str | None,
    limit: int,
    offset: int,
) -> list[RowMapping]:
    stmt = select(*PROPOSAL).order_by(P.c.created_at.desc(), P.c.id).limit(limit).offset(offset)
    if status is not None:
        stmt = stmt.where(status_expression(now, settings) == status.value)
    if kind is not None:
        stmt = stmt.where(P.c.kind == kind)
    return list((await conn.execute(stmt)).mappings())


# --- the anchor outbox (`governance_anchors`), drained on chain by the settlement relay ---


# Kept with the functions it serves, below the rest of this module.
from hotpot.domain.settlement import AnchorRow  # noqa: E402

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


async def first_anchored_chain_id(conn: AsyncConnection) -> str | None:
    """The chain proposal id of the oldest anchored tally (None when nothing is anchored)."""
    value = await conn.scalar(
        select(governance_anchors.c.chain_proposal_id)
        .where(governance_anchors.c.anchored_at.is_not(None))
        .order_by(governance_anchors.c.anchored_at, governance_anchors.c.proposal_id)
        .limit(1)
    )
    return None if value is None else str(value)


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


async def mark_unanchored(conn: AsyncConnection, proposal_ids: list[UUID] | None) -> int:
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
