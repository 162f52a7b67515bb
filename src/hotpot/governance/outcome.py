"""Governance outcomes: finalizing a closed vote (tally, votes root, chain anchor) and
executing a passed network proposal after its timelock."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.context import AppContext
from hotpot.domain import governance as rules
from hotpot.domain.access import Actor
from hotpot.domain.errors import Conflict
from hotpot.domain.governance import (
    ExecutionRefused,
    GovernanceSettings,
    Proposal,
    ProposalKind,
    ProposalStatus,
    Vote,
)
from hotpot.domain.menu import ItemStatus
from hotpot.domain.settlement import AnchorRow
from hotpot.governance import repository as repo
from hotpot.governance.clock import Clock
from hotpot.governance.proposals import (
    adoptable,
    live_tally,
    locked,
    proposal_of,
    rules_of,
    stored_change,
    window_of,
)
from hotpot.governance.voting import vote_tuples
from hotpot.ledger import repository as ledger_repo
from hotpot.menu import repository as menu_repo

_EXECUTION_REFUSALS: dict[ProposalStatus, str] = {
    ProposalStatus.PROPOSED: "voting_not_open",
    ProposalStatus.VOTING: "voting_open",
    ProposalStatus.REJECTED: "not_passed",
    ProposalStatus.APPROVED: "not_executable",
    ProposalStatus.QUEUED: "timelock",
}


async def _finalize(
    conn: AsyncConnection, row: RowMapping, settings: GovernanceSettings
) -> RowMapping:
    """Count every vote, store the tally and the votes root, queue the chain anchor."""
    proposal_id: UUID = row["id"]
    votes = vote_tuples(await repo.votes_of(conn, proposal_id))
    final = rules.tally(
        [Vote(choice, weight) for _, choice, weight in votes],
        row["snapshot_supply_units"],
        settings,
    )
    root = "0x" + rules.votes_root(str(proposal_id), votes).hex()
    updated = await repo.finalize(
        conn,
        proposal_id,
        outcome=final.outcome.value,
        votes_root=root,
        weights=(final.for_units, final.against_units, final.abstain_units),
        vote_count=len(votes),
        anchor={
            "chain_proposal_id": "0x" + rules.chain_proposal_id(proposal_id.bytes).hex(),
            "votes_root": root,
            "for_units": final.for_units,
            "against_units": final.against_units,
            "abstain_units": final.abstain_units,
            "passed": final.passed,
            "vote_count": len(votes),
        },
    )
    if row["kind"] == ProposalKind.DISH.value:
        status = ItemStatus.APPROVED if final.passed else ItemStatus.REJECTED
        await menu_repo.update_item(conn, row["menu_item_id"], {"status": status.value})
    return updated


def _ensure_closed(row: RowMapping, now: datetime) -> None:
    if row["opens_at"] is None:
        raise Conflict("voting_not_open", "voting on this proposal has not opened")
    if now < row["closes_at"]:
        raise Conflict("voting_open", "voting on this proposal is still open")


async def anchor_of(ctx: AppContext, proposal_id: UUID) -> AnchorRow | None:
    """The proposal's chain anchor as the relay left it (`anchored_at`/`tx_hash` once mined);
    None before the proposal is finalized."""
    async with ctx.db.read() as conn:
        return await repo.anchor_of(conn, proposal_id)


async def finalize(ctx: AppContext, clock: Clock, proposal_id: UUID) -> Proposal:
    """After the close: the tally, the votes root and the anchor row (once; retries 200)."""
    async with ctx.db.transaction() as conn:
        row = await locked(conn, proposal_id)
        now = clock()
        if row["finalized_at"] is None:
            _ensure_closed(row, now)
            row = await _finalize(conn, row, rules_of(ctx))
    return proposal_of(row, now, rules_of(ctx))


async def execute(ctx: AppContext, clock: Clock, actor: Actor, proposal_id: UUID) -> Proposal:
    """Run a passed network proposal after its timelock, exactly once.

    A second call answers with the executed proposal and changes nothing.
    """
    async with ctx.db.transaction() as conn:
        row = await locked(conn, proposal_id)
        now = clock()
        if row["executed_at"] is not None:
            return proposal_of(row, now, rules_of(ctx))
        kind = ProposalKind(row["kind"])
        try:
            settings = rules_of(ctx)
            tally = live_tally(row, settings)
            rules.ensure_executable(kind, window_of(row), tally, now, settings=settings)
        except ExecutionRefused as exc:
            code = "not_executable" if not kind.is_network else _EXECUTION_REFUSALS[exc.status]
            raise Conflict(code, str(exc)) from exc
        if row["finalized_at"] is None:
            row = await _finalize(conn, row, rules_of(ctx))
        version: int | None = None
        if kind is ProposalKind.TOKENOMICS_CHANGE:
            change = stored_change(row["tokenomics_change"])
            assert change is not None  # a TOKENOMICS_CHANGE always stores its change
            _, current = await ledger_repo.tokenomics_in_force(conn)
            adopted = adoptable(current, change)
            version = await ledger_repo.adopt_tokenomics(
                conn, adopted, source=f"proposal:{proposal_id}"
            )
        row = await repo.mark_executed(conn, proposal_id, now, actor.id, version)
    return proposal_of(row, now, rules_of(ctx))
