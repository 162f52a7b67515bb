"""Governance: who may propose, when and how votes count, and what a proposal's status is.

Pure rules over integers (SPOT units) and datetimes passed in; nothing reads a clock.
Ratios are compared by integer cross-multiplication:
- quorum: cast * 10 000 >= snapshot_supply * 2 000 (and something was cast), where the
  snapshot supply is the voting SPOT at the snapshot (custody's SPOT is left out);
- passed: FOR * 10 000 > cast * 5 100, where cast = FOR + AGAINST + ABSTAIN.

Time windows are half-open: voting is open for opens_at <= now < closes_at, and a passed
network proposal may execute from closes_at + timelock on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from hotpot.domain.canonical import canonical_json
from hotpot.domain.merkle import MerkleTree, from_hex, keccak256, leaf_hash, verify
from hotpot.domain.stake import StakeRole
from hotpot.domain.tokenomics import BPS_DENOMINATOR, TokenomicsChange, require_non_negative

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


class ProposalKind(StrEnum):
    DISH = "DISH"
    GENERAL = "GENERAL"
    MENU = "MENU"
    TOKENOMICS_CHANGE = "TOKENOMICS_CHANGE"
    TREASURY = "TREASURY"

    @property
    def is_network(self) -> bool:
        return self is not ProposalKind.DISH


class VoteChoice(StrEnum):
    FOR = "FOR"
    AGAINST = "AGAINST"
    ABSTAIN = "ABSTAIN"


@dataclass(frozen=True)
class GovernanceSettings:
    dish_voting_period: timedelta = timedelta(days=7)  # (config)
    network_min_period: timedelta = timedelta(hours=24)
    network_max_period: timedelta = timedelta(hours=168)
    network_default_period: timedelta = timedelta(hours=72)
    proposer_min_spot_units: int = 1_000  # 10 SPOT to make a network proposal
    voter_min_spot_units: int = 100  # 1 SPOT at the snapshot to vote
    quorum_bps: int = 2_000  # 20 % of the snapshot's voting SPOT (custody left out)
    pass_bps: int = 5_100  # FOR must be above 51 % of the cast weight
    timelock: timedelta = timedelta(hours=24)

    def __post_init__(self) -> None:
        if not (
            timedelta(0)
            < self.network_min_period
            <= self.network_default_period
            <= self.network_max_period
        ):
            raise ValueError("network voting periods must satisfy 0 < min <= default <= max")
        if self.dish_voting_period <= timedelta(0) or self.timelock < timedelta(0):
            raise ValueError("the dish voting period must be positive, the timelock not negative")
        for name in ("proposer_min_spot_units", "voter_min_spot_units"):
            require_non_negative(name, getattr(self, name))
        for name in ("quorum_bps", "pass_bps"):
            value = require_non_negative(name, getattr(self, name))
            if value > BPS_DENOMINATOR:
                raise ValueError(f"{name} must be at most {BPS_DENOMINATOR}")


DEFAULT_GOVERNANCE = GovernanceSettings()


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("a timezone-aware datetime is required")
    return at


# --- proposing --------------------------------------------------------------------------


class ProposalRefused(ValueError):
    """Someone may not make this proposal (HTTP: 403 for rights, 422 for a bad period)."""


def ensure_may_propose(
    kind: ProposalKind,
    *,
    role: StakeRole,
    spot_units: int,
    settings: GovernanceSettings = DEFAULT_GOVERNANCE,
) -> None:
    """Dish: the network owner or a BigStack holder. Network: >= 10 SPOT, whoever it is.

    `role` comes from roles.role_by_stake; `spot_units` is the proposer's SPOT balance now.
    """
    spot = require_non_negative("spot_units", spot_units)
    if kind is ProposalKind.DISH:
        if role not in (StakeRole.MAIN_OWNER, StakeRole.BIG_STACK):
            raise ProposalRefused(
                f"only the network owner or a BigStack holder may propose a dish (role: {role})"
            )
        return
    if spot < settings.proposer_min_spot_units:
        raise ProposalRefused(
            f"a {kind} proposal needs at least {settings.proposer_min_spot_units} SPOT units, "
            f"the proposer has {spot}"
        )


@dataclass(frozen=True)
class VotingWindow:
    opens_at: datetime
    closes_at: datetime

    def is_open(self, now: datetime) -> bool:
        return self.opens_at <= _aware(now) < self.closes_at


def voting_window(
    kind: ProposalKind,
    opens_at: datetime,
    period: timedelta | None = None,
    settings: GovernanceSettings = DEFAULT_GOVERNANCE,
) -> VotingWindow:
    """Dish votes last the configured 7 days; a network proposal picks 24..168 h (72 h)."""
    start = _aware(opens_at)
    if kind is ProposalKind.DISH:
        if period is not None and period != settings.dish_voting_period:
            raise ProposalRefused(
                f"a dish vote lasts {settings.dish_voting_period}; it cannot be chosen"
            )
        return VotingWindow(start, start + settings.dish_voting_period)
    return VotingWindow(start, start + network_voting_period(period, settings))


def network_voting_period(
    period: timedelta | None, settings: GovernanceSettings = DEFAULT_GOVERNANCE
) -> timedelta:
    """The period a network proposal votes for: the one chosen, or the default."""
    chosen = settings.network_default_period if period is None else period
    if not settings.network_min_period <= chosen <= settings.network_max_period:
        raise ProposalRefused(
            f"a voting period must be between {_in_hours(settings.network_min_period)} and "
            f"{_in_hours(settings.network_max_period)}, got {_in_hours(chosen)}"
        )
    return chosen


def _in_hours(period: timedelta) -> str:
    """'48 h' rather than '2 days, 0:00:00': a proposal picks its period in hours."""
    hours, rest = divmod(period, timedelta(hours=1))
    return f"{hours} h" if not rest else str(period)


# --- voting -----------------------------------------------------------------------------


class VoteRefusal(StrEnum):
    NOT_OPEN = "NOT_OPEN"  # voting has not started (or never will: no window yet)
    CLOSED = "CLOSED"
    ALREADY_VOTED = "ALREADY_VOTED"
    NOT_ELIGIBLE = "NOT_ELIGIBLE"  # under 1 SPOT at the snapshot
    CHOICE_NOT_ALLOWED = "CHOICE_NOT_ALLOWED"  # ABSTAIN on a dish


class VoteRefused(ValueError):
    def __init__(self, reason: VoteRefusal, message: str) -> None:
        self.reason = reason
        super().__init__(message)


@dataclass(frozen=True)
class Vote:
    choice: VoteChoice
    weight: int  # SPOT units at the snapshot


def allowed_choices(kind: ProposalKind) -> frozenset[VoteChoice]:
    if kind is ProposalKind.DISH:
        return frozenset({VoteChoice.FOR, VoteChoice.AGAINST})
    return frozenset(VoteChoice)


def cast_vote(
    kind: ProposalKind,
    window: VotingWindow | None,
    choice: VoteChoice,
    *,
    snapshot_spot_units: int,
    already_voted: bool,
    now: datetime,
    settings: GovernanceSettings = DEFAULT_GOVERNANCE,
) -> Vote:
    """Accept a vote or raise VoteRefused; the weight is the SPOT held at the snapshot.

    The snapshot is the voter's SPOT balance when voting opened (see `balance_at`):
    SPOT earned later does not count, and under `voter_min_spot_units` there is no vote.
    """
    weight = require_non_negative("snapshot_spot_units", snapshot_spot_units)
    moment = _aware(now)
    if window is None or moment < window.opens_at:
        raise VoteRefused(VoteRefusal.NOT_OPEN, "voting on this proposal has not opened")
    if moment >= window.closes_at:
        raise VoteRefused(VoteRefusal.CLOSED, "voting on this proposal has closed")
    if choice not in allowed_choices(kind):
        raise VoteRefused(VoteRefusal.CHOICE_NOT_ALLOWED, f"{choice} is not a choice for {kind}")
    if already_voted:
        raise VoteRefused(VoteRefusal.ALREADY_VOTED, "this wallet has already voted")
    if weight < settings.voter_min_spot_units:
        raise VoteRefused(
            VoteRefusal.NOT_ELIGIBLE,
            f"voting needs {settings.voter_min_spot_units} SPOT units at the snapshot, "
            f"the wallet had {weight}",
        )
    return Vote(choice, weight)


def balance_at(entries: Iterable[tuple[datetime, int]], moment: datetime) -> int:
    """A balance at `moment` from (at, signed delta) ledger entries; entries at `moment` count."""
    cutoff = _aware(moment)
    return sum(delta for at, delta in entries if _aware(at) <= cutoff)


# --- tally ------------------------------------------------------------------------------


class Outcome(StrEnum):
    PASSED = "PASSED"
    REJECTED = "REJECTED"  # quorum reached, FOR not above the threshold
    NO_QUORUM = "NO_QUORUM"


@dataclass(frozen=True)
class Tally:
    for_units: int
    against_units: int
    abstain_units: int
    snapshot_supply_units: int
    quorum_reached: bool
    outcome: Outcome

    @property
    def cast_units(self) -> int:
        return self.for_units + self.against_units + self.abstain_units

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASSED


def tally(
    votes: Iterable[Vote],
    snapshot_supply_units: int,
    settings: GovernanceSettings = DEFAULT_GOVERNANCE,
) -> Tally:
    """Count the votes against the snapshot's voting SPOT (the snapshot leaves custody out)."""
    supply = require_non_negative("snapshot_supply_units", snapshot_supply_units)
    weights = dict.fromkeys(VoteChoice, 0)
    for vote in votes:
        weights[vote.choice] += require_non_negative("vote weight", vote.weight)
    cast = sum(weights.values())
    if cast > supply:
        raise ValueError(f"cast weight {cast} exceeds the snapshot SPOT supply {supply}")
    # Nothing cast is never a quorum, even on an empty supply.
    quorum = cast > 0 and cast * BPS_DENOMINATOR >= supply * settings.quorum_bps
    if not quorum:
        outcome = Outcome.NO_QUORUM
    elif weights[VoteChoice.FOR] * BPS_DENOMINATOR > cast * settings.pass_bps:
        outcome = Outcome.PASSED
    else:
        outcome = Outcome.REJECTED
    return Tally(
        for_units=weights[VoteChoice.FOR],
        against_units=weights[VoteChoice.AGAINST],
        abstain_units=weights[VoteChoice.ABSTAIN],
        snapshot_supply_units=supply,
        quorum_reached=quorum,
        outcome=outcome,
    )


# --- status and execution ---------------------------------------------------------------


class ProposalStatus(StrEnum):
    PROPOSED = "PROPOSED"  # voting not open yet
    VOTING = "VOTING"
    APPROVED = "APPROVED"  # a dish that passed (no timelock: the owner activates it)
    REJECTED = "REJECTED"  # no quorum, or FOR not above the threshold
    QUEUED = "QUEUED"  # a passed network proposal inside its timelock
    EXECUTABLE = "EXECUTABLE"
    EXECUTED = "EXECUTED"


def proposal_status(
    kind: ProposalKind,
    window: VotingWindow | None,
    final_tally: Tally | None,
    now: datetime,
    *,
    executed_at: datetime | None = None,
    settings: GovernanceSettings = DEFAULT_GOVERNANCE,
) -> ProposalStatus:
    """The status at `now`. After the close `final_tally` (over all votes) is required."""
    moment = _aware(now)
    if window is None or moment < window.opens_at:
        return ProposalStatus.PROPOSED
    if moment < window.closes_at:
        return ProposalStatus.VOTING
    if final_tally is None:
        raise ValueError("a closed proposal's status needs its tally")
    if not final_tally.passed:
        return ProposalStatus.REJECTED
    if not kind.is_network:
        return ProposalStatus.APPROVED
    if executed_at is not None:
        return ProposalStatus.EXECUTED
    if moment < window.closes_at + settings.timelock:
        return ProposalStatus.QUEUED
    return ProposalStatus.EXECUTABLE


def executable_at(
    kind: ProposalKind,
    window: VotingWindow | None,
    settings: GovernanceSettings = DEFAULT_GOVERNANCE,
) -> datetime | None:
    """When a network proposal may first execute (close + timelock); None for a dish."""
    if not kind.is_network or window is None:
        return None
    return window.closes_at + settings.timelock


class ExecutionRefused(ValueError):
    def __init__(self, status: ProposalStatus, message: str) -> None:
        self.status = status
        super().__init__(message)


def ensure_executable(
    kind: ProposalKind,
    window: VotingWindow | None,
    final_tally: Tally | None,
    now: datetime,
    *,
    executed_at: datetime | None = None,
    settings: GovernanceSettings = DEFAULT_GOVERNANCE,
) -> None:
    """Raise ExecutionRefused unless a passed network proposal's timelock has run out."""
    status = proposal_status(
        kind, window, final_tally, now, executed_at=executed_at, settings=settings
    )
    if not kind.is_network:
        raise ExecutionRefused(status, "dish proposals are not executed; the owner activates them")
    if status is ProposalStatus.EXECUTABLE:
        return
    messages = {
        ProposalStatus.PROPOSED: "voting has not opened",
        ProposalStatus.VOTING: "voting is still open",
        ProposalStatus.REJECTED: "the proposal did not pass",
        ProposalStatus.QUEUED: "the timelock has not passed yet",
        ProposalStatus.EXECUTED: "the proposal has already been executed",
    }
    raise ExecutionRefused(status, f"cannot execute: {messages.get(status, status)}")


# --- the votes root anchored on chain ---------------------------------------------------

VOTE_RECORD_SCHEMA = "hotpot.governance.vote/1"


def vote_record(proposal_id: str, voter_address: str, choice: VoteChoice, weight: int) -> bytes:
    """The canonical bytes of one counted vote: a Merkle leaf is leaf_hash(these bytes).

    RFC 8785 JSON (see canonical.py) of {schema, proposal_id, voter (lowercased address),
    choice, weight_units}: the proposal id is inside the leaf, so a proof for one
    proposal's root cannot be replayed against another's.
    """
    if not _ADDRESS.fullmatch(voter_address):
        raise ValueError(f"not an EVM address: {voter_address!r}")
    return canonical_json(
        {
            "schema": VOTE_RECORD_SCHEMA,
            "proposal_id": proposal_id,
            "voter": voter_address.lower(),
            "choice": VoteChoice(choice).value,
            "weight_units": require_non_negative("weight", weight),
        }
    )


def ordered_votes(
    votes: Iterable[tuple[str, VoteChoice, int]],
) -> list[tuple[str, VoteChoice, int]]:
    """(address, choice, weight) in leaf order: by lowercased voter address."""
    return sorted(votes, key=lambda vote: vote[0].lower())


# The root of a proposal nobody voted on: keccak256 of the empty string. The anchor
# contract refuses a zero root, and no Merkle root over real leaves equals this.
EMPTY_VOTES_ROOT = keccak256(b"")


def votes_tree(proposal_id: str, votes: Iterable[tuple[str, VoteChoice, int]]) -> MerkleTree | None:
    """The Merkle tree over a proposal's votes in leaf order; None when there are none."""
    records = [vote_record(proposal_id, *vote) for vote in ordered_votes(votes)]
    return MerkleTree.from_records(records) if records else None


def votes_root(proposal_id: str, votes: Iterable[tuple[str, VoteChoice, int]]) -> bytes:
    tree = votes_tree(proposal_id, votes)
    return EMPTY_VOTES_ROOT if tree is None else tree.root


def chain_proposal_id(proposal_uuid_bytes: bytes) -> bytes:
    """The bytes32 proposal id on chain: the 16 UUID bytes, left-padded with zeros."""
    if len(proposal_uuid_bytes) != 16:
        raise ValueError("a proposal id is a 16-byte UUID")
    return proposal_uuid_bytes.rjust(32, b"\x00")


# --- what the governance service answers with -------------------------------------------


@dataclass(frozen=True)
class CountedTally(Tally):
    """A tally as a proposal shows it, with how many votes were cast."""

    vote_count: int


@dataclass(frozen=True)
class Proposal:
    """A proposal as it stands at one moment (its status and tally depend on `now`)."""

    id: UUID
    kind: ProposalKind
    status: ProposalStatus
    title: str
    description: str
    proposer_id: UUID
    menu_item_id: UUID | None
    tokenomics_change: TokenomicsChange | None
    voting_hours: int
    opens_at: datetime | None
    closes_at: datetime | None
    executable_at: datetime | None
    snapshot_at: datetime | None
    tally: CountedTally | None  # the live tally; None before voting opens
    finalized_at: datetime | None
    votes_root: str | None
    executed_at: datetime | None
    tokenomics_version: int | None
    created_at: datetime


@dataclass(frozen=True)
class Ballot:
    """One counted vote, as recorded: who, with which wallet, which choice, what weight."""

    proposal_id: UUID
    voter_id: UUID
    voter_address: str
    choice: VoteChoice
    weight_units: int
    created_at: datetime


@dataclass(frozen=True)
class VoteProof:
    """What a voter needs to check their vote against the anchored votes root."""

    proposal_id: UUID
    votes_root: str
    leaf: str  # keccak256(keccak256(record)), 0x-hex
    record: str  # the canonical JSON record of the vote
    proof: tuple[str, ...]


def prove_vote(
    proposal_id: UUID,
    votes_root: str,
    votes: Iterable[tuple[str, VoteChoice, int]],
    vote: tuple[str, VoteChoice, int],
) -> VoteProof:
    """The Merkle proof that `vote` (address, choice, weight) is one of `votes`."""
    ordered = ordered_votes(votes)
    tree = votes_tree(str(proposal_id), ordered)
    address = vote[0]
    addresses = [voter for voter, _, _ in ordered]
    if tree is None or address not in addresses:
        raise ValueError(f"{address} is not among the votes of proposal {proposal_id}")
    index = addresses.index(address)
    return VoteProof(
        proposal_id=proposal_id,
        votes_root=votes_root,
        leaf="0x" + tree.leaf(index).hex(),
        record=vote_record(str(proposal_id), *vote).decode(),
        proof=tuple("0x" + node.hex() for node in tree.proof(index)),
    )


def proof_holds(proof: VoteProof) -> bool:
    """Whether `proof` shows its record counted in its votes root: the record names the
    proposal, its leaf is leaf_hash(record), and the sibling path reaches the root."""
    try:
        named = json.loads(proof.record).get("proposal_id")
        leaf, root = from_hex(proof.leaf), from_hex(proof.votes_root)
        path = [from_hex(node) for node in proof.proof]
    except (ValueError, AttributeError):
        return False
    return (
        named == str(proof.proposal_id)
        and leaf == leaf_hash(proof.record.encode())
        and verify(path, root, leaf)
    )
