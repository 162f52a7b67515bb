"""Governance: proposing, opening with a SPOT snapshot, voting, finalizing, executing.

Time comes from an injected `Clock` (windows, timelock, execution time). The snapshot is
a copy of the committed SPOT balances made in the transaction that opens voting (see
repository.take_snapshot and docs/governance.md). Races are settled by the database:
every write locks the proposal row first, and a vote is unique per (proposal, wallet).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.accounts.tables import accounts
from hotpot.context import AppContext
from hotpot.domain import governance as rules
from hotpot.domain.access import AccessRole, Actor
from hotpot.domain.governance import (
    DEFAULT_GOVERNANCE,
    ExecutionRefused,
    GovernanceSettings,
    ProposalKind,
    ProposalRefused,
    ProposalStatus,
    Tally,
    Vote,
    VoteChoice,
    VoteRefusal,
    VoteRefused,
    VotingWindow,
)
from hotpot.domain.menu import ItemStatus
from hotpot.domain.stake import StakeRole, role_by_stake
from hotpot.domain.tokenomics import (
    InvalidSettings,
    Split,
    TokenomicsChange,
    TokenomicsChangeRejected,
    TokenomicsSettings,
    apply_tokenomics_change,
)
from hotpot.governance import repository as repo
from hotpot.governance.clock import Clock
from hotpot.governance.schemas import (
    DishProposalIn,
    PlainProposalIn,
    ProposalOut,
    SplitOut,
    TallyOut,
    TokenomicsChangeOut,
    TokenomicsProposalIn,
    VoteOut,
    VoteProofOut,
)
from hotpot.http.problems import ApiError
from hotpot.ledger import repository as ledger
from hotpot.ledger import tokenomics_store
from hotpot.ledger.holders import account_holder
from hotpot.menu import repository as menu_repo

SETTINGS: GovernanceSettings = DEFAULT_GOVERNANCE

_NOT_FOUND = ApiError(404, "proposal_not_found", "no proposal with this id")

_VOTE_REFUSALS: dict[VoteRefusal, tuple[int, str]] = {
    VoteRefusal.NOT_OPEN: (409, "voting_not_open"),
    VoteRefusal.CLOSED: (409, "voting_closed"),
    VoteRefusal.ALREADY_VOTED: (409, "already_voted"),
    VoteRefusal.NOT_ELIGIBLE: (403, "not_eligible"),
    VoteRefusal.CHOICE_NOT_ALLOWED: (409, "choice_not_allowed"),
}

_EXECUTION_REFUSALS: dict[ProposalStatus, str] = {
    ProposalStatus.PROPOSED: "voting_not_open",
    ProposalStatus.VOTING: "voting_open",
    ProposalStatus.REJECTED: "not_passed",
    ProposalStatus.APPROVED: "not_executable",
    ProposalStatus.QUEUED: "timelock",
}


# --- reading ----------------------------------------------------------------------------


def _window(row: RowMapping) -> VotingWindow | None:
    if row["opens_at"] is None:
        return None
    return VotingWindow(row["opens_at"], row["closes_at"])


def _live_tally(row: RowMapping) -> Tally | None:
    if row["opens_at"] is None:
        return None
    votes = [
        Vote(VoteChoice.FOR, row["for_units"]),
        Vote(VoteChoice.AGAINST, row["against_units"]),
        Vote(VoteChoice.ABSTAIN, row["abstain_units"]),
    ]
    return rules.tally(votes, row["snapshot_supply_units"], SETTINGS)


def _status(row: RowMapping, now: datetime) -> ProposalStatus:
    return rules.proposal_status(
        ProposalKind(row["kind"]),
        _window(row),
        _live_tally(row),
        now,
        executed_at=row["executed_at"],
        settings=SETTINGS,
    )


def _change_out(data: dict[str, Any] | None) -> TokenomicsChangeOut | None:
    if data is None:
        return None
    return TokenomicsChangeOut(
        thp_price_tetri=data.get("thp_price_tetri"),
        owner_node_split=SplitOut(**data["owner_node_split"])
        if data.get("owner_node_split")
        else None,
        franchise_node_split=SplitOut(**data["franchise_node_split"])
        if data.get("franchise_node_split")
        else None,
        tetri_per_spot=data.get("tetri_per_spot"),
        spot_daily_cap_units=data.get("spot_daily_cap_units"),
    )


def _out(row: RowMapping, now: datetime) -> ProposalOut:
    tally = _live_tally(row)
    kind = ProposalKind(row["kind"])
    return ProposalOut(
        id=row["id"],
        kind=kind,
        status=_status(row, now),
        title=row["title"],
        description=row["description"],
        proposer_id=row["proposer_id"],
        menu_item_id=row["menu_item_id"],
        tokenomics_change=_change_out(row["tokenomics_change"]),
        voting_hours=row["voting_seconds"] // 3600,
        opens_at=row["opens_at"],
        closes_at=row["closes_at"],
        executable_at=(
            row["closes_at"] + SETTINGS.timelock
            if kind.is_network and row["closes_at"] is not None
            else None
        ),
        snapshot_at=row["snapshot_at"],
        tally=None
        if tally is None
        else TallyOut(
            for_units=tally.for_units,
            against_units=tally.against_units,
            abstain_units=tally.abstain_units,
            cast_units=tally.cast_units,
            vote_count=row["vote_count"],
            snapshot_supply_units=tally.snapshot_supply_units,
            quorum_reached=tally.quorum_reached,
            outcome=tally.outcome,
        ),
        finalized_at=row["finalized_at"],
        votes_root=row["votes_root"],
        executed_at=row["executed_at"],
        tokenomics_version=row["tokenomics_version"],
        created_at=row["created_at"],
    )


async def get_proposal(ctx: AppContext, clock: Clock, proposal_id: UUID) -> ProposalOut:
    async with ctx.db.read() as conn:
        row = await repo.proposal(conn, proposal_id)
    if row is None:
        raise _NOT_FOUND
    return _out(row, clock())


async def list_proposals(
    ctx: AppContext,
    clock: Clock,
    status: ProposalStatus | None,
    kind: ProposalKind | None,
    limit: int,
    offset: int,
) -> list[ProposalOut]:
    now = clock()
    async with ctx.db.read() as conn:
        rows = await repo.list_proposals(
            conn,
            now=now,
            settings=SETTINGS,
            status=status,
            kind=kind.value if kind else None,
            limit=limit + 1,
            offset=offset,
        )
    return [_out(row, now) for row in rows]


def _vote_out(row: RowMapping) -> VoteOut:
    return VoteOut(
        proposal_id=row["proposal_id"],
        voter_id=row["voter_id"],
        voter_address=row["voter_address"],
        choice=VoteChoice(row["choice"]),
        weight_units=row["weight_units"],
        created_at=row["created_at"],
    )


async def list_votes(ctx: AppContext, proposal_id: UUID, limit: int, offset: int) -> list[VoteOut]:
    async with ctx.db.read() as conn:
        if await repo.proposal(conn, proposal_id) is None:
            raise _NOT_FOUND
        rows = await repo.list_votes(conn, proposal_id, limit + 1, offset)
    return [_vote_out(row) for row in rows]


def _vote_tuples(rows: list[RowMapping]) -> list[tuple[str, VoteChoice, int]]:
    return [(row["voter_address"], VoteChoice(row["choice"]), row["weight_units"]) for row in rows]


async def vote_proof(ctx: AppContext, proposal_id: UUID, voter_id: UUID) -> VoteProofOut:
    """The Merkle proof that a vote is in the finalized (anchored) votes root."""
    async with ctx.db.read() as conn:
        row = await repo.proposal(conn, proposal_id)
        if row is None:
            raise _NOT_FOUND
        if row["finalized_at"] is None:
            raise ApiError(409, "not_finalized", "the proposal has no votes root yet")
        vote = await repo.vote_of(conn, proposal_id, voter_id)
        if vote is None:
            raise ApiError(404, "vote_not_found", "this account did not vote on this proposal")
        votes = rules.ordered_votes(_vote_tuples(await repo.votes_of(conn, proposal_id)))
    tree = rules.votes_tree(str(proposal_id), votes)
    assert tree is not None  # the vote asked for is one of them
    index = [address for address, _, _ in votes].index(vote["voter_address"])
    record = rules.vote_record(
        str(proposal_id), vote["voter_address"], VoteChoice(vote["choice"]), vote["weight_units"]
    )
    return VoteProofOut(
        proposal_id=proposal_id,
        votes_root=row["votes_root"],
        leaf="0x" + tree.leaf(index).hex(),
        record=record.decode(),
        proof=["0x" + node.hex() for node in tree.proof(index)],
    )


# --- proposing --------------------------------------------------------------------------


def _person(actor: Actor) -> None:
    if actor.role is AccessRole.TERMINAL:
        raise ApiError(403, "forbidden", "a POS terminal takes no part in governance")


async def _stake_role(conn: AsyncConnection, actor: Actor) -> StakeRole:
    if actor.role is AccessRole.OWNER:
        return StakeRole.MAIN_OWNER
    holding = await ledger.balance(conn, account_holder(actor.id), "THP")
    return role_by_stake(holding, await ledger.supply(conn, "THP"))


async def _open_window(
    conn: AsyncConnection, proposal_id: UUID, window: VotingWindow
) -> RowMapping:
    return await repo.take_snapshot(conn, proposal_id, window.opens_at, window.closes_at)


async def propose_dish(ctx: AppContext, actor: Actor, data: DishProposalIn) -> ProposalOut:
    """The owner or a BigStack holder proposes a dish: a menu item in PROPOSED."""
    _person(actor)
    proposal_id, item_id = uuid4(), uuid4()
    async with ctx.db.transaction() as conn:
        role = await _stake_role(conn, actor)
        try:
            rules.ensure_may_propose(ProposalKind.DISH, role=role, spot_units=0, settings=SETTINGS)
        except ProposalRefused as exc:
            raise ApiError(403, "not_allowed_to_propose", str(exc)) from exc
        await menu_repo.insert_item(
            conn,
            {
                "id": item_id,
                **data.model_dump(exclude={"ingredients"}),
                "status": ItemStatus.PROPOSED.value,
                "proposed_by": actor.id,
            },
        )
        await menu_repo.replace_ingredients(
            conn, item_id, [g.model_dump() for g in data.ingredients]
        )
        await repo.insert_proposal(
            conn,
            {
                "id": proposal_id,
                "kind": ProposalKind.DISH.value,
                "title": data.name,
                "description": data.description,
                "proposer_id": actor.id,
                "menu_item_id": item_id,
                "voting_seconds": int(SETTINGS.dish_voting_period.total_seconds()),
            },
        )
        row = await repo.proposal(conn, proposal_id)
    assert row is not None
    return _out(row, row["created_at"])


def _change_of(data: TokenomicsProposalIn) -> TokenomicsChange:
    change = data.tokenomics
    owner = change.owner_node_split
    franchise = change.franchise_node_split
    return TokenomicsChange(
        thp_price_tetri=change.thp_price_tetri,
        owner_node_split=Split(**owner.model_dump()) if owner is not None else None,
        franchise_node_split=Split(**franchise.model_dump()) if franchise is not None else None,
        tetri_per_spot=change.tetri_per_spot,
        spot_daily_cap_units=change.spot_daily_cap_units,
    )


def _change_from_json(data: dict[str, Any]) -> TokenomicsChange:
    return TokenomicsChange(
        thp_price_tetri=data.get("thp_price_tetri"),
        owner_node_split=Split(**data["owner_node_split"])
        if data.get("owner_node_split")
        else None,
        franchise_node_split=Split(**data["franchise_node_split"])
        if data.get("franchise_node_split")
        else None,
        tetri_per_spot=data.get("tetri_per_spot"),
        spot_daily_cap_units=data.get("spot_daily_cap_units"),
    )


def _adoptable(current: TokenomicsSettings, change: TokenomicsChange) -> TokenomicsSettings:
    try:
        return apply_tokenomics_change(current, change)
    except TokenomicsChangeRejected as exc:
        raise ApiError(
            409,
            "tokenomics_out_of_bounds",
            "; ".join(exc.problems),
            extra={"problems": exc.problems},
        ) from exc
    except InvalidSettings as exc:
        raise ApiError(409, "tokenomics_out_of_bounds", str(exc)) from exc


async def propose_network(
    ctx: AppContext,
    clock: Clock,
    actor: Actor,
    data: PlainProposalIn | TokenomicsProposalIn,
) -> ProposalOut:
    """A network proposal by a holder of >= 10 SPOT; its vote opens at once."""
    _person(actor)
    kind = ProposalKind(data.kind)
    proposal_id = uuid4()
    async with ctx.db.transaction() as conn:
        spot = await ledger.balance(conn, account_holder(actor.id), "SPOT")
        try:
            rules.ensure_may_propose(
                kind, role=StakeRole.UNAUTHORIZED, spot_units=spot, settings=SETTINGS
            )
        except ProposalRefused as exc:
            raise ApiError(403, "insufficient_spot", str(exc)) from exc
        change_json: dict[str, Any] | None = None
        if isinstance(data, TokenomicsProposalIn):
            _, current = await tokenomics_store.current(conn)
            _adoptable(current, _change_of(data))
            # Only the values the proposal sets; a split is stored whole (all four shares).
            everything = data.tokenomics.model_dump(mode="json")
            change_json = {name: everything[name] for name in data.tokenomics.model_fields_set}
        now = clock()
        try:
            window = rules.voting_window(
                kind, now, timedelta(hours=data.voting_hours), settings=SETTINGS
            )
        except ProposalRefused as exc:  # the schema carries the same bounds
            raise ApiError(422, "invalid_voting_period", str(exc)) from exc
        await repo.insert_proposal(
            conn,
            {
                "id": proposal_id,
                "kind": kind.value,
                "title": data.title,
                "description": data.description,
                "proposer_id": actor.id,
                "tokenomics_change": change_json,
                "voting_seconds": data.voting_hours * 3600,
            },
        )
        row = await _open_window(conn, proposal_id, window)
    return _out(row, now)


async def open_proposal(ctx: AppContext, clock: Clock, proposal_id: UUID) -> ProposalOut:
    """The owner opens a dish vote; the SPOT snapshot is taken in this transaction.

    Opening an already open proposal answers with it unchanged (a retry is harmless).
    """
    async with ctx.db.transaction() as conn:
        row = await repo.proposal_for_update(conn, proposal_id)
        if row is None:
            raise _NOT_FOUND
        now = clock()
        if row["opens_at"] is not None:
            return _out(row, now)
        window = rules.voting_window(ProposalKind(row["kind"]), now, settings=SETTINGS)
        row = await _open_window(conn, proposal_id, window)
        await menu_repo.update_item(conn, row["menu_item_id"], {"status": ItemStatus.VOTING.value})
    return _out(row, now)


# --- voting -----------------------------------------------------------------------------


async def vote(
    ctx: AppContext, clock: Clock, actor: Actor, proposal_id: UUID, choice: VoteChoice
) -> VoteOut:
    if actor.role is not AccessRole.CUSTOMER:
        raise ApiError(403, "forbidden", "only customers vote (SPOT is earned by buyers)")
    async with ctx.db.transaction() as conn:
        # The proposal row lock orders votes against each other and against finalizing.
        row = await repo.proposal_for_update(conn, proposal_id)
        if row is None:
            raise _NOT_FOUND
        holder = account_holder(actor.id)
        weight = (
            0 if row["opens_at"] is None else await repo.snapshot_units(conn, proposal_id, holder)
        )
        now = clock()
        try:
            if row["finalized_at"] is not None:
                raise VoteRefused(VoteRefusal.CLOSED, "voting on this proposal has closed")
            accepted = rules.cast_vote(
                ProposalKind(row["kind"]),
                _window(row),
                choice,
                snapshot_spot_units=weight,
                already_voted=await repo.has_voted(conn, proposal_id, actor.id),
                now=now,
                settings=SETTINGS,
            )
        except VoteRefused as exc:
            status, code = _VOTE_REFUSALS[exc.reason]
            raise ApiError(status, code, str(exc)) from exc
        address = await conn.scalar(
            select(accounts.c.wallet_address).where(accounts.c.id == actor.id)
        )
        if not address:
            raise ApiError(409, "no_wallet", "this account has no wallet address to vote with")
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
            raise ApiError(409, "already_voted", "this wallet has already voted")
        await repo.add_weight(conn, proposal_id, accepted.choice.value, accepted.weight)
    return _vote_out(inserted)


# --- outcome ----------------------------------------------------------------------------


async def _finalize(conn: AsyncConnection, row: RowMapping) -> RowMapping:
    """Count every vote, store the tally and the votes root, queue the chain anchor."""
    proposal_id: UUID = row["id"]
    votes = _vote_tuples(await repo.votes_of(conn, proposal_id))
    final = rules.tally(
        [Vote(choice, weight) for _, choice, weight in votes],
        row["snapshot_supply_units"],
        SETTINGS,
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
        raise ApiError(409, "voting_not_open", "voting on this proposal has not opened")
    if now < row["closes_at"]:
        raise ApiError(409, "voting_open", "voting on this proposal is still open")


async def finalize(ctx: AppContext, clock: Clock, proposal_id: UUID) -> ProposalOut:
    """After the close: the tally, the votes root and the anchor row (once; retries 200)."""
    async with ctx.db.transaction() as conn:
        row = await repo.proposal_for_update(conn, proposal_id)
        if row is None:
            raise _NOT_FOUND
        now = clock()
        if row["finalized_at"] is None:
            _ensure_closed(row, now)
            row = await _finalize(conn, row)
    return _out(row, now)


async def execute(ctx: AppContext, clock: Clock, actor: Actor, proposal_id: UUID) -> ProposalOut:
    """Run a passed network proposal after its timelock, exactly once.

    A second call answers 200 with the executed proposal and changes nothing.
    """
    async with ctx.db.transaction() as conn:
        row = await repo.proposal_for_update(conn, proposal_id)
        if row is None:
            raise _NOT_FOUND
        now = clock()
        if row["executed_at"] is not None:
            return _out(row, now)
        kind = ProposalKind(row["kind"])
        try:
            rules.ensure_executable(kind, _window(row), _live_tally(row), now, settings=SETTINGS)
        except ExecutionRefused as exc:
            code = "not_executable" if not kind.is_network else _EXECUTION_REFUSALS[exc.status]
            raise ApiError(409, code, str(exc)) from exc
        if row["finalized_at"] is None:
            row = await _finalize(conn, row)
        version: int | None = None
        if kind is ProposalKind.TOKENOMICS_CHANGE:
            _, current = await tokenomics_store.current(conn)
            adopted = _adoptable(current, _change_from_json(row["tokenomics_change"]))
            version = await tokenomics_store.adopt(conn, adopted, source=f"proposal:{proposal_id}")
        row = await repo.mark_executed(conn, proposal_id, now, actor.id, version)
    return _out(row, now)
