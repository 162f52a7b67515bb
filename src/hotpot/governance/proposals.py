"""Governance proposals: how a stored one reads at a moment, listing, proposing, opening.

Time comes from an injected `Clock` (windows, timelock, execution time). The snapshot is
a copy of the committed SPOT balances made in the transaction that opens voting (see
repository.take_snapshot and docs/governance.md). Races are settled by the database:
every write locks the proposal row first, and a vote is unique per (proposal, wallet).
Voting is in `voting.py`, finalizing and executing in `outcome.py`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.context import AppContext
from hotpot.domain import governance as rules
from hotpot.domain.access import AccessRole, Actor
from hotpot.domain.errors import Conflict, Forbidden, Invalid, NotFound
from hotpot.domain.governance import (
    CountedTally,
    GovernanceSettings,
    Proposal,
    ProposalKind,
    ProposalRefused,
    ProposalStatus,
    Tally,
    Vote,
    VoteChoice,
    VotingWindow,
)
from hotpot.domain.menu import ItemStatus
from hotpot.domain.results import Slice
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
from hotpot.governance.schemas import DishProposalIn, PlainProposalIn, TokenomicsProposalIn
from hotpot.ledger import repository as ledger
from hotpot.ledger import repository as ledger_repo
from hotpot.ledger.holders import account_holder
from hotpot.menu import repository as menu_repo


def rules_of(ctx: AppContext) -> GovernanceSettings:
    """The governance rules in force: domain.md's, with the periods of the settings."""
    return ctx.settings.periods.governance


class ProposalNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("proposal_not_found", "no proposal with this id")


async def locked(conn: AsyncConnection, proposal_id: UUID) -> RowMapping:
    """The proposal row, locked for this transaction: every write to a proposal takes it."""
    row = await repo.proposal_for_update(conn, proposal_id)
    if row is None:
        raise ProposalNotFound()
    return row


# --- reading ----------------------------------------------------------------------------


def window_of(row: RowMapping) -> VotingWindow | None:
    if row["opens_at"] is None:
        return None
    return VotingWindow(row["opens_at"], row["closes_at"])


def live_tally(row: RowMapping, settings: GovernanceSettings) -> Tally | None:
    """The tally over the running weights on the row; None before voting opens."""
    if row["opens_at"] is None:
        return None
    votes = [
        Vote(VoteChoice.FOR, row["for_units"]),
        Vote(VoteChoice.AGAINST, row["against_units"]),
        Vote(VoteChoice.ABSTAIN, row["abstain_units"]),
    ]
    return rules.tally(votes, row["snapshot_supply_units"], settings)


def stored_change(data: dict[str, Any] | None) -> TokenomicsChange | None:
    """The tokenomics change a proposal stored as JSON (only the values it sets)."""
    if data is None:
        return None

    def split(name: str) -> Split | None:
        shares = data.get(name)
        return Split(**shares) if shares else None

    return TokenomicsChange(
        thp_price_tetri=data.get("thp_price_tetri"),
        owner_node_split=split("owner_node_split"),
        franchise_node_split=split("franchise_node_split"),
        tetri_per_spot=data.get("tetri_per_spot"),
        spot_daily_cap_units=data.get("spot_daily_cap_units"),
    )


def proposal_of(row: RowMapping, now: datetime, settings: GovernanceSettings) -> Proposal:
    """The stored proposal as it stands at `now`."""
    kind = ProposalKind(row["kind"])
    window = window_of(row)
    tally = live_tally(row, settings)
    return Proposal(
        id=row["id"],
        kind=kind,
        status=rules.proposal_status(
            kind, window, tally, now, executed_at=row["executed_at"], settings=settings
        ),
        title=row["title"],
        description=row["description"],
        proposer_id=row["proposer_id"],
        menu_item_id=row["menu_item_id"],
        tokenomics_change=stored_change(row["tokenomics_change"]),
        voting_hours=row["voting_seconds"] // 3600,
        opens_at=row["opens_at"],
        closes_at=row["closes_at"],
        executable_at=rules.executable_at(kind, window, settings),
        snapshot_at=row["snapshot_at"],
        tally=None
        if tally is None
        else CountedTally(
            for_units=tally.for_units,
            against_units=tally.against_units,
            abstain_units=tally.abstain_units,
            snapshot_supply_units=tally.snapshot_supply_units,
            quorum_reached=tally.quorum_reached,
            outcome=tally.outcome,
            vote_count=row["vote_count"],
        ),
        finalized_at=row["finalized_at"],
        votes_root=row["votes_root"],
        executed_at=row["executed_at"],
        tokenomics_version=row["tokenomics_version"],
        created_at=row["created_at"],
    )


async def get_proposal(ctx: AppContext, clock: Clock, proposal_id: UUID) -> Proposal:
    async with ctx.db.read() as conn:
        row = await repo.proposal(conn, proposal_id)
    if row is None:
        raise ProposalNotFound()
    return proposal_of(row, clock(), rules_of(ctx))


async def list_proposals(
    ctx: AppContext,
    clock: Clock,
    status: ProposalStatus | None,
    kind: ProposalKind | None,
    limit: int,
    offset: int,
) -> Slice[Proposal]:
    now = clock()
    async with ctx.db.read() as conn:
        rows = await repo.list_proposals(
            conn,
            now=now,
            settings=rules_of(ctx),
            status=status,
            kind=kind.value if kind else None,
            limit=limit + 1,
            offset=offset,
        )
    return Slice.of([proposal_of(row, now, rules_of(ctx)) for row in rows], limit)


# --- proposing --------------------------------------------------------------------------


def _ensure_person(actor: Actor) -> None:
    if actor.role is AccessRole.TERMINAL:
        raise Forbidden("forbidden", "a POS terminal takes no part in governance")


async def _stake_role(conn: AsyncConnection, actor: Actor) -> StakeRole:
    if actor.role is AccessRole.OWNER:
        return StakeRole.MAIN_OWNER
    holding = await ledger.balance(conn, account_holder(actor.id), "THP")
    return role_by_stake(holding, await ledger.supply(conn, "THP"))


async def _open_window(
    conn: AsyncConnection, proposal_id: UUID, window: VotingWindow
) -> RowMapping:
    return await repo.take_snapshot(conn, proposal_id, window.opens_at, window.closes_at)


async def propose_dish(ctx: AppContext, actor: Actor, data: DishProposalIn) -> Proposal:
    """The owner or a BigStack holder proposes a dish: a menu item in PROPOSED."""
    _ensure_person(actor)
    proposal_id, item_id = uuid4(), uuid4()
    async with ctx.db.transaction() as conn:
        role = await _stake_role(conn, actor)
        try:
            rules.ensure_may_propose(
                ProposalKind.DISH, role=role, spot_units=0, settings=rules_of(ctx)
            )
        except ProposalRefused as exc:
            raise Forbidden("not_allowed_to_propose", str(exc)) from exc
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
                "voting_seconds": int(rules_of(ctx).dish_voting_period.total_seconds()),
            },
        )
        row = await repo.proposal(conn, proposal_id)
    assert row is not None
    return proposal_of(row, row["created_at"], rules_of(ctx))


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


def adoptable(current: TokenomicsSettings, change: TokenomicsChange) -> TokenomicsSettings:
    """The settings after `change`, or Conflict when they would leave the bounds."""
    try:
        return apply_tokenomics_change(current, change)
    except TokenomicsChangeRejected as exc:
        raise Conflict(
            "tokenomics_out_of_bounds", "; ".join(exc.problems), problems=exc.problems
        ) from exc
    except InvalidSettings as exc:
        raise Conflict("tokenomics_out_of_bounds", str(exc)) from exc


async def propose_network(
    ctx: AppContext,
    clock: Clock,
    actor: Actor,
    data: PlainProposalIn | TokenomicsProposalIn,
) -> Proposal:
    """A network proposal by a holder of >= 10 SPOT; its vote opens at once."""
    _ensure_person(actor)
    kind = ProposalKind(data.kind)
    settings = rules_of(ctx)
    # Bad input first (422), before the proposer's rights are looked up. The bounds and
    # the default are settings; the OpenAPI document publishes the ones in force.
    hours = data.voting_hours
    try:
        period = rules.network_voting_period(
            None if hours is None else timedelta(hours=hours), settings
        )
    except ProposalRefused as exc:
        raise Invalid("invalid_voting_period", str(exc)) from exc
    proposal_id = uuid4()
    async with ctx.db.transaction() as conn:
        spot = await ledger.balance(conn, account_holder(actor.id), "SPOT")
        try:
            rules.ensure_may_propose(
                kind, role=StakeRole.UNAUTHORIZED, spot_units=spot, settings=settings
            )
        except ProposalRefused as exc:
            raise Forbidden("insufficient_spot", str(exc)) from exc
        change_json: dict[str, Any] | None = None
        if isinstance(data, TokenomicsProposalIn):
            _, current = await ledger_repo.tokenomics_in_force(conn)
            adoptable(current, _change_of(data))
            # Only the values the proposal sets; a split is stored whole (all four shares).
            everything = data.tokenomics.model_dump(mode="json")
            change_json = {name: everything[name] for name in data.tokenomics.model_fields_set}
        now = clock()
        window = rules.voting_window(kind, now, period, settings=settings)
        await repo.insert_proposal(
            conn,
            {
                "id": proposal_id,
                "kind": kind.value,
                "title": data.title,
                "description": data.description,
                "proposer_id": actor.id,
                "tokenomics_change": change_json,
                "voting_seconds": int(period.total_seconds()),
            },
        )
        row = await _open_window(conn, proposal_id, window)
    return proposal_of(row, now, rules_of(ctx))


async def open_proposal(ctx: AppContext, clock: Clock, proposal_id: UUID) -> Proposal:
    """The owner opens a dish vote; the SPOT snapshot is taken in this transaction.

    Opening an already open proposal answers with it unchanged (a retry is harmless).
    """
    async with ctx.db.transaction() as conn:
        row = await locked(conn, proposal_id)
        now = clock()
        if row["opens_at"] is not None:
            return proposal_of(row, now, rules_of(ctx))
        window = rules.voting_window(ProposalKind(row["kind"]), now, settings=rules_of(ctx))
        row = await _open_window(conn, proposal_id, window)
        await menu_repo.update_item(conn, row["menu_item_id"], {"status": ItemStatus.VOTING.value})
    return proposal_of(row, now, rules_of(ctx))
