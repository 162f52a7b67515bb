"""Governance votes: casting one (weighted by the SPOT snapshot), listing, proving."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.accounts import repository as accounts_repo
from hotpot.context import AppContext
from hotpot.domain import governance as rules
from hotpot.domain.access import AccessRole, Actor
from hotpot.domain.errors import Conflict, DomainError, Forbidden, NotFound
from hotpot.domain.governance import (
    Ballot,
    GovernanceSettings,
    ProposalKind,
    VoteChoice,
    VoteProof,
    VoteRefusal,
    VoteRefused,
)
from hotpot.domain.results import Slice
from hotpot.governance import repository as repo
from hotpot.governance.clock import Clock
from hotpot.governance.proposals import ProposalNotFound, rules_of, window_of
from hotpot.ledger.holders import account_holder

_VOTE_REFUSALS: dict[VoteRefusal, tuple[type[DomainError], str]] = {
    VoteRefusal.NOT_OPEN: (Conflict, "voting_not_open"),
    VoteRefusal.CLOSED: (Conflict, "voting_closed"),
    VoteRefusal.ALREADY_VOTED: (Conflict, "already_voted"),
    VoteRefusal.NOT_ELIGIBLE: (Forbidden, "not_eligible"),
    VoteRefusal.CHOICE_NOT_ALLOWED: (Conflict, "choice_not_allowed"),
}


def ballot_of(row: RowMapping) -> Ballot:
    return Ballot(
        proposal_id=row["proposal_id"],
        voter_id=row["voter_id"],
        voter_address=row["voter_address"],
        choice=VoteChoice(row["choice"]),
        weight_units=row["weight_units"],
        created_at=row["created_at"],
    )


def vote_tuples(rows: list[RowMapping]) -> list[tuple[str, VoteChoice, int]]:
    """(address, choice, weight) of each vote row: what the votes root is built over."""
    return [(row["voter_address"], VoteChoice(row["choice"]), row["weight_units"]) for row in rows]


async def vote(
    ctx: AppContext, clock: Clock, actor: Actor, proposal_id: UUID, choice: VoteChoice
) -> Ballot:
    async with ctx.db.transaction() as conn:
        return await cast(conn, rules_of(ctx), clock, actor, proposal_id, choice)


async def cast(
    conn: AsyncConnection,
    settings: GovernanceSettings,
    clock: Clock,
    actor: Actor,
    proposal_id: UUID,
    choice: VoteChoice,
) -> Ballot:
    """One vote in the caller's transaction. Votes on one proposal run concurrently: the
    primary key (proposal, voter) and the unique (proposal, address) refuse a second vote,
    and the tally is summed from the votes, so a vote writes no shared row."""
    if actor.role is not AccessRole.CUSTOMER:
        raise Forbidden("forbidden", "only customers vote (SPOT is earned by buyers)")
    holder = account_holder(actor.id)
    row = await repo.proposal_for_vote(conn, proposal_id, holder, actor.id)
    if row is None:
        raise ProposalNotFound()
    weight = 0 if row["opens_at"] is None else int(row["weight"])
    now = clock()
    try:
        if row["finalized_at"] is not None:
            raise VoteRefused(VoteRefusal.CLOSED, "voting on this proposal has closed")
        accepted = rules.cast_vote(
            ProposalKind(row["kind"]),
            window_of(row),
            choice,
            snapshot_spot_units=weight,
            already_voted=bool(row["voted"]),
            now=now,
            settings=settings,
        )
    except VoteRefused as exc:
        kind, code = _VOTE_REFUSALS[exc.reason]
        raise kind(code, str(exc)) from exc
    account = await accounts_repo.by_id(conn, actor.id)
    address = None if account is None else account["wallet_address"]
    if not address:
        raise Conflict("no_wallet", "this account has no wallet address to vote with")
    inserted = await repo.insert_vote(
        conn,
        {
            "proposal_id": proposal_id,
            "voter_id": actor.id,
            "voter_address": address,
            "choice": accepted.choice.value,
            "weight_units": accepted.weight,
        },
    )
    if inserted is None:
        raise Conflict("already_voted", "this wallet has already voted")
    return ballot_of(inserted)


async def list_votes(ctx: AppContext, proposal_id: UUID, limit: int, offset: int) -> Slice[Ballot]:
    async with ctx.db.read() as conn:
        if await repo.proposal(conn, proposal_id) is None:
            raise ProposalNotFound()
        rows = await repo.list_votes(conn, proposal_id, limit + 1, offset)
    return Slice.of([ballot_of(row) for row in rows], limit)


async def my_vote(ctx: AppContext, proposal_id: UUID, voter_id: UUID) -> Ballot | None:
    """The vote this account cast on the proposal, if any (None for an unknown proposal)."""
    async with ctx.db.read() as conn:
        found = await repo.vote_of(conn, proposal_id, voter_id)
    return None if found is None else ballot_of(found)


async def vote_proof(ctx: AppContext, proposal_id: UUID, voter_id: UUID) -> VoteProof:
    """The Merkle proof that a vote is in the finalized (anchored) votes root."""
    async with ctx.db.read() as conn:
        row = await repo.proposal(conn, proposal_id)
        if row is None:
            raise ProposalNotFound()
        if row["finalized_at"] is None:
            raise Conflict("not_finalized", "the proposal has no votes root yet")
        found = await repo.vote_of(conn, proposal_id, voter_id)
        if found is None:
            raise NotFound("vote_not_found", "this account did not vote on this proposal")
        votes = vote_tuples(await repo.votes_of(conn, proposal_id))
    (mine,) = vote_tuples([found])
    return rules.prove_vote(proposal_id, row["votes_root"], votes, mine)
