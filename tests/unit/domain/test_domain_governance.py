"""Governance rules, including every edge listed in issue 3."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotpot.domain.governance import (
    ExecutionRefused,
    GovernanceSettings,
    Outcome,
    ProposalKind,
    ProposalRefused,
    ProposalStatus,
    Tally,
    Vote,
    VoteChoice,
    VoteRefusal,
    VoteRefused,
    VotingWindow,
    allowed_choices,
    balance_at,
    cast_vote,
    ensure_executable,
    ensure_may_propose,
    executable_at,
    proposal_status,
    tally,
    voting_window,
)
from hotpot.domain.stake import StakeRole

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
FAST = settings(max_examples=300, deadline=None)
NETWORK_KINDS = [k for k in ProposalKind if k.is_network]


# --- who may propose ---------------------------------------------------------------------


@pytest.mark.parametrize("role", [StakeRole.MAIN_OWNER, StakeRole.BIG_STACK])
def test_owner_or_bigstack_may_propose_a_dish(role: StakeRole) -> None:
    ensure_may_propose(ProposalKind.DISH, role=role, spot_units=0)


@pytest.mark.parametrize(
    "role", [StakeRole.MIDDLE_PLAYER, StakeRole.STARTER, StakeRole.UNAUTHORIZED]
)
def test_others_may_not_propose_a_dish(role: StakeRole) -> None:
    with pytest.raises(ProposalRefused, match="owner or a BigStack"):
        ensure_may_propose(ProposalKind.DISH, role=role, spot_units=10**9)


@pytest.mark.parametrize("kind", NETWORK_KINDS)
def test_network_proposals_need_10_spot(kind: ProposalKind) -> None:
    ensure_may_propose(kind, role=StakeRole.UNAUTHORIZED, spot_units=1_000)
    with pytest.raises(ProposalRefused, match="at least 1000 SPOT units, the proposer has 999"):
        ensure_may_propose(kind, role=StakeRole.BIG_STACK, spot_units=999)
    with pytest.raises(ProposalRefused):
        ensure_may_propose(kind, role=StakeRole.MAIN_OWNER, spot_units=0)


# --- voting windows ----------------------------------------------------------------------


def test_dish_window_is_seven_days() -> None:
    window = voting_window(ProposalKind.DISH, T0)
    assert window == VotingWindow(T0, T0 + timedelta(days=7))
    with pytest.raises(ProposalRefused, match="cannot be chosen"):
        voting_window(ProposalKind.DISH, T0, timedelta(days=3))


@pytest.mark.parametrize("kind", NETWORK_KINDS)
def test_network_window_bounds(kind: ProposalKind) -> None:
    assert voting_window(kind, T0).closes_at == T0 + 72 * H
    assert voting_window(kind, T0, 24 * H).closes_at == T0 + 24 * H
    assert voting_window(kind, T0, 168 * H).closes_at == T0 + 168 * H
    for bad in (24 * H - timedelta(seconds=1), 168 * H + timedelta(seconds=1), -H):
        with pytest.raises(ProposalRefused, match="between"):
            voting_window(kind, T0, bad)


def test_windows_are_half_open() -> None:
    window = voting_window(ProposalKind.GENERAL, T0, 24 * H)
    assert not window.is_open(T0 - timedelta(microseconds=1))
    assert window.is_open(T0)
    assert window.is_open(T0 + 24 * H - timedelta(microseconds=1))
    assert not window.is_open(T0 + 24 * H)


def test_settings_are_validated() -> None:
    with pytest.raises(ValueError):
        GovernanceSettings(network_default_period=200 * H)
    with pytest.raises(ValueError):
        GovernanceSettings(quorum_bps=10_001)
    with pytest.raises(TypeError):
        GovernanceSettings(pass_bps=51.0)  # type: ignore[arg-type]


# --- casting votes -----------------------------------------------------------------------

WINDOW = VotingWindow(T0, T0 + 72 * H)


def vote(
    choice: VoteChoice = VoteChoice.FOR,
    *,
    kind: ProposalKind = ProposalKind.GENERAL,
    window: VotingWindow | None = WINDOW,
    weight: int = 500,
    already: bool = False,
    now: datetime = T0 + H,
) -> Vote:
    return cast_vote(
        kind, window, choice, snapshot_spot_units=weight, already_voted=already, now=now
    )


def refusal(**kwargs: object) -> VoteRefusal:
    with pytest.raises(VoteRefused) as caught:
        vote(**kwargs)  # type: ignore[arg-type]
    return caught.value.reason


def test_a_valid_vote_weighs_the_snapshot_balance() -> None:
    assert vote(weight=750) == Vote(VoteChoice.FOR, 750)


def test_voting_before_open_is_refused() -> None:
    assert refusal(now=T0 - timedelta(seconds=1)) is VoteRefusal.NOT_OPEN
    assert refusal(window=None) is VoteRefusal.NOT_OPEN  # dish not opened by the owner


def test_voting_after_close_is_refused() -> None:
    assert refusal(now=WINDOW.closes_at) is VoteRefusal.CLOSED
    assert vote(now=WINDOW.closes_at - timedelta(microseconds=1)).weight == 500


def test_voting_twice_is_refused() -> None:
    assert refusal(already=True) is VoteRefusal.ALREADY_VOTED


def test_under_one_spot_at_the_snapshot_cannot_vote() -> None:
    assert refusal(weight=99) is VoteRefusal.NOT_ELIGIBLE
    assert refusal(weight=0) is VoteRefusal.NOT_ELIGIBLE
    assert vote(weight=100).weight == 100


def test_a_dish_vote_has_no_abstain() -> None:
    assert allowed_choices(ProposalKind.DISH) == {VoteChoice.FOR, VoteChoice.AGAINST}
    assert (
        refusal(choice=VoteChoice.ABSTAIN, kind=ProposalKind.DISH) is VoteRefusal.CHOICE_NOT_ALLOWED
    )
    assert vote(VoteChoice.ABSTAIN).choice is VoteChoice.ABSTAIN  # network: allowed


def test_spot_earned_after_the_snapshot_does_not_count() -> None:
    entries = [
        (T0 - 48 * H, 80),
        (T0 - H, 30),
        (T0, 10),  # recorded at the snapshot instant: counts
        (T0 + timedelta(microseconds=1), 5_000),  # after the snapshot: does not count
        (T0 + 10 * H, 1_000),
    ]
    weight = balance_at(entries, WINDOW.opens_at)
    assert weight == 120
    assert vote(weight=weight, now=T0 + 11 * H).weight == 120
    # a wallet that crosses 1 SPOT only after the snapshot stays ineligible
    late = [(T0 - H, 50), (T0 + H, 500)]
    assert refusal(weight=balance_at(late, T0), now=T0 + 2 * H) is VoteRefusal.NOT_ELIGIBLE


# --- tally -------------------------------------------------------------------------------


def votes(for_: int = 0, against: int = 0, abstain: int = 0) -> list[Vote]:
    made = [
        Vote(VoteChoice.FOR, for_),
        Vote(VoteChoice.AGAINST, against),
        Vote(VoteChoice.ABSTAIN, abstain),
    ]
    return [v for v in made if v.weight]


def test_quorum_just_below_and_just_above() -> None:
    supply = 10_000  # quorum: 2 000 units cast
    below = tally(votes(for_=1_999), supply)
    assert not below.quorum_reached and below.outcome is Outcome.NO_QUORUM
    exact = tally(votes(for_=2_000), supply)
    assert exact.quorum_reached and exact.outcome is Outcome.PASSED
    above = tally(votes(for_=2_001), supply)
    assert above.quorum_reached and above.passed
    # 20 % of 10 001 is 2 000.2: 2 000 is just below
    assert not tally(votes(for_=2_000), 10_001).quorum_reached
    assert tally(votes(for_=2_001), 10_001).quorum_reached


def test_pass_threshold_is_strictly_above_51_percent() -> None:
    assert tally(votes(for_=5_100, against=4_900), 10_000).outcome is Outcome.REJECTED
    assert tally(votes(for_=5_101, against=4_899), 10_000).outcome is Outcome.PASSED


def test_abstain_counts_in_the_denominator() -> None:
    # FOR beats AGAINST 2:1, but with abstentions FOR is only 40 % of the cast weight
    result = tally(votes(for_=2_000, against=1_000, abstain=2_000), 10_000)
    assert result.cast_units == 5_000 and result.quorum_reached
    assert result.outcome is Outcome.REJECTED
    # abstentions also help reach quorum
    assert tally(votes(for_=1_000, abstain=1_000), 10_000).quorum_reached


def test_nothing_cast_is_never_a_quorum() -> None:
    assert tally([], 0).outcome is Outcome.NO_QUORUM
    assert tally([], 10_000).outcome is Outcome.NO_QUORUM


def test_inconsistent_tallies_are_refused() -> None:
    with pytest.raises(ValueError, match="exceeds the snapshot SPOT supply"):
        tally(votes(for_=101), 100)
    with pytest.raises(ValueError):
        tally([Vote(VoteChoice.FOR, -1)], 100)


weights = st.lists(st.tuples(st.sampled_from(VoteChoice), st.integers(100, 10**9)), max_size=30)


@given(weights, st.integers(0, 10**10))
@FAST
def test_tally_matches_exact_fractions(cast: list[tuple[VoteChoice, int]], extra: int) -> None:
    ballots = [Vote(c, w) for c, w in cast]
    supply = sum(w for _, w in cast) + extra
    result = tally(ballots, supply)
    total = sum(w for _, w in cast)
    for_ = sum(w for c, w in cast if c is VoteChoice.FOR)
    assert result.cast_units == total
    assert (result.for_units, result.against_units, result.abstain_units) == tuple(
        sum(w for c, w in cast if c is choice) for choice in VoteChoice
    )
    quorum = total > 0 and Fraction(total, supply) >= Fraction(20, 100)
    assert result.quorum_reached is quorum
    assert result.passed is (quorum and Fraction(for_, total) > Fraction(51, 100))
    assert all(
        type(v) is int
        for v in (result.for_units, result.against_units, result.abstain_units, result.cast_units)
    )


@given(weights, st.integers(0, 10**10), st.randoms(use_true_random=False))
@FAST
def test_tally_ignores_vote_order(
    cast: list[tuple[VoteChoice, int]], extra: int, rnd: object
) -> None:
    ballots = [Vote(c, w) for c, w in cast]
    supply = sum(w for _, w in cast) + extra
    shuffled = list(ballots)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert tally(shuffled, supply) == tally(ballots, supply)


@given(weights, st.integers(0, 10**10), st.integers(100, 10**9))
@FAST
def test_more_for_never_hurts(cast: list[tuple[VoteChoice, int]], extra: int, more: int) -> None:
    ballots = [Vote(c, w) for c, w in cast]
    supply = sum(w for _, w in cast) + extra + more
    before = tally(ballots, supply)
    after = tally([*ballots, Vote(VoteChoice.FOR, more)], supply)
    assert after.passed or not before.passed


# --- status and the timelock -------------------------------------------------------------

PASSED = tally(votes(for_=6_000, against=1_000), 10_000)
FAILED = tally(votes(for_=1_000, against=6_000), 10_000)
NO_QUORUM = tally(votes(for_=100), 10_000)


@pytest.mark.parametrize(
    ("now", "final", "status"),
    [
        (T0 - H, None, ProposalStatus.PROPOSED),
        (T0, None, ProposalStatus.VOTING),
        (T0 + 71 * H, None, ProposalStatus.VOTING),
        (T0 + 72 * H, FAILED, ProposalStatus.REJECTED),
        (T0 + 72 * H, NO_QUORUM, ProposalStatus.REJECTED),
        (T0 + 72 * H, PASSED, ProposalStatus.QUEUED),
        (T0 + 96 * H - timedelta(microseconds=1), PASSED, ProposalStatus.QUEUED),
        (T0 + 96 * H, PASSED, ProposalStatus.EXECUTABLE),
    ],
)
def test_network_status_over_time(
    now: datetime, final: Tally | None, status: ProposalStatus
) -> None:
    assert proposal_status(ProposalKind.TREASURY, WINDOW, final, now) is status


def test_status_without_a_window_and_after_execution() -> None:
    assert proposal_status(ProposalKind.DISH, None, None, T0) is ProposalStatus.PROPOSED
    executed = proposal_status(
        ProposalKind.MENU, WINDOW, PASSED, T0 + 200 * H, executed_at=T0 + 97 * H
    )
    assert executed is ProposalStatus.EXECUTED
    with pytest.raises(ValueError, match="needs its tally"):
        proposal_status(ProposalKind.MENU, WINDOW, None, T0 + 100 * H)


def test_dish_status() -> None:
    window = voting_window(ProposalKind.DISH, T0)
    assert proposal_status(ProposalKind.DISH, window, None, T0 + H) is ProposalStatus.VOTING
    end = window.closes_at
    assert proposal_status(ProposalKind.DISH, window, PASSED, end) is ProposalStatus.APPROVED
    assert proposal_status(ProposalKind.DISH, window, FAILED, end) is ProposalStatus.REJECTED


def test_timelock_not_yet_passed_refuses_execution() -> None:
    with pytest.raises(ExecutionRefused, match="timelock has not passed") as caught:
        ensure_executable(ProposalKind.TOKENOMICS_CHANGE, WINDOW, PASSED, T0 + 95 * H)
    assert caught.value.status is ProposalStatus.QUEUED
    ensure_executable(ProposalKind.TOKENOMICS_CHANGE, WINDOW, PASSED, T0 + 96 * H)


@pytest.mark.parametrize(
    ("kind", "final", "now", "executed_at", "message"),
    [
        (ProposalKind.GENERAL, None, T0 + H, None, "voting is still open"),
        (ProposalKind.GENERAL, None, T0 - H, None, "voting has not opened"),
        (ProposalKind.GENERAL, FAILED, T0 + 100 * H, None, "did not pass"),
        (ProposalKind.GENERAL, NO_QUORUM, T0 + 100 * H, None, "did not pass"),
        (ProposalKind.GENERAL, PASSED, T0 + 100 * H, T0 + 99 * H, "already been executed"),
        (ProposalKind.DISH, PASSED, T0 + 300 * H, None, "dish proposals are not executed"),
    ],
)
def test_execution_refusals(
    kind: ProposalKind,
    final: Tally | None,
    now: datetime,
    executed_at: datetime | None,
    message: str,
) -> None:
    with pytest.raises(ExecutionRefused, match=message):
        ensure_executable(kind, WINDOW, final, now, executed_at=executed_at)


def test_the_timelock_is_configurable() -> None:
    quick = GovernanceSettings(timelock=timedelta(0))
    ensure_executable(ProposalKind.GENERAL, WINDOW, PASSED, WINDOW.closes_at, settings=quick)


def test_a_network_proposal_is_executable_from_its_close_plus_the_timelock() -> None:
    at = executable_at(ProposalKind.TOKENOMICS_CHANGE, WINDOW)
    assert at == WINDOW.closes_at + timedelta(hours=24)
    before = at - timedelta(microseconds=1)
    assert proposal_status(ProposalKind.GENERAL, WINDOW, PASSED, before) is ProposalStatus.QUEUED
    assert proposal_status(ProposalKind.GENERAL, WINDOW, PASSED, at) is ProposalStatus.EXECUTABLE
    quick = GovernanceSettings(timelock=timedelta(0))
    assert executable_at(ProposalKind.MENU, WINDOW, quick) == WINDOW.closes_at


def test_a_dish_or_an_unopened_proposal_has_no_execution_time() -> None:
    assert executable_at(ProposalKind.DISH, voting_window(ProposalKind.DISH, T0)) is None
    assert executable_at(ProposalKind.GENERAL, None) is None
