"""The periods of the rules: domain.md's defaults, what may not go together, the SPOT day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotpot.domain.distribution import DistributionPeriod
from hotpot.domain.governance import ProposalKind, ProposalRefused, voting_window
from hotpot.domain.periods import DEFAULT_PERIODS, InvalidPeriods, Periods
from hotpot.domain.receipts import issue_receipt
from hotpot.domain.tokenomics import NETWORK_TIMEZONE, start_of_network_day

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def test_the_defaults_are_those_of_domain_md() -> None:
    assert (
        Periods(
            receipt_lifetime=timedelta(days=30),
            distribution_period=DistributionPeriod.YEARLY,
            dish_voting=timedelta(days=7),
            network_voting_min=timedelta(hours=24),
            network_voting_max=timedelta(hours=168),
            network_voting_default=timedelta(hours=72),
            timelock=timedelta(hours=24),
            spot_day=timedelta(days=1),
        )
        == DEFAULT_PERIODS
    )


def test_the_rules_take_the_periods() -> None:
    short = Periods(
        receipt_lifetime=timedelta(days=1),
        dish_voting=timedelta(hours=2),
        network_voting_min=timedelta(hours=1),
        network_voting_default=timedelta(hours=2),
        network_voting_max=timedelta(hours=3),
        timelock=timedelta(minutes=10),
    )
    assert issue_receipt(T0, short.receipt_policy).expires_at == T0 + timedelta(days=1)
    assert short.receipt_policy.max_failures == 5  # only the lifetime is a period
    dish = voting_window(ProposalKind.DISH, T0, settings=short.governance)
    assert dish.closes_at - dish.opens_at == timedelta(hours=2)
    default = voting_window(ProposalKind.GENERAL, T0, settings=short.governance)
    assert default.closes_at - default.opens_at == timedelta(hours=2)
    with pytest.raises(ProposalRefused):
        voting_window(ProposalKind.GENERAL, T0, timedelta(hours=4), settings=short.governance)
    assert short.governance.timelock == timedelta(minutes=10)
    assert short.governance.quorum_bps == DEFAULT_PERIODS.governance.quorum_bps


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"receipt_lifetime": timedelta(0)}, "receipt_lifetime must be positive"),
        ({"dish_voting": timedelta(seconds=-1)}, "dish_voting must be positive"),
        ({"spot_day": timedelta(0)}, "spot_day must be positive"),
        ({"timelock": timedelta(seconds=-1)}, "timelock must not be negative"),
        ({"network_voting_min": timedelta(hours=100)}, "min <= default <= max"),
        ({"network_voting_default": timedelta(hours=200)}, "min <= default <= max"),
        ({"receipt_lifetime": timedelta(days=4_000)}, "receipt_lifetime must be at most"),
        ({"spot_day": timedelta(days=400)}, "spot_day must be at most"),
    ],
)
def test_unusable_periods_are_refused(changes: dict[str, timedelta], problem: str) -> None:
    with pytest.raises(InvalidPeriods, match=problem):
        Periods(**changes)  # type: ignore[arg-type]


def test_a_zero_timelock_is_allowed() -> None:
    assert Periods(timelock=timedelta(0)).governance.timelock == timedelta(0)


def test_the_spot_day_is_the_tbilisi_calendar_day_by_default() -> None:
    at = datetime(2025, 3, 1, 20, 30, tzinfo=UTC)  # 00:30 on 2 March in Tbilisi
    assert start_of_network_day(at) == datetime(2025, 3, 1, 20, 0, tzinfo=UTC)
    assert start_of_network_day(at, timedelta(days=1)) == start_of_network_day(at)


def test_a_shorter_spot_day_starts_on_its_own_boundaries() -> None:
    at = datetime(2025, 3, 1, 20, 30, 15, tzinfo=UTC)
    assert start_of_network_day(at, timedelta(hours=1)) == datetime(2025, 3, 1, 20, 0, tzinfo=UTC)
    assert start_of_network_day(at, timedelta(seconds=1)) == at
    assert start_of_network_day(at, timedelta(minutes=7)) <= at
    with pytest.raises(ValueError, match="positive"):
        start_of_network_day(at, timedelta(0))


def test_a_longer_spot_day_spans_calendar_days() -> None:
    week = timedelta(days=7)
    start = start_of_network_day(T0, week)
    assert start.astimezone(NETWORK_TIMEZONE).time().isoformat() == "00:00:00"
    assert start_of_network_day(T0 + timedelta(days=1), week) in (start, start + week)


@given(
    at=st.datetimes(
        min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
    ),
    seconds=st.integers(min_value=1, max_value=366 * 86_400),
)
def test_every_moment_is_in_the_spot_day_that_starts_before_it(at: datetime, seconds: int) -> None:
    length = timedelta(seconds=seconds)
    start = start_of_network_day(at, length)
    assert start <= at < start + length
    assert start_of_network_day(start, length) == start  # a day's start is in that day
