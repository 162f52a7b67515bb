"""Unclaimed-pool distribution: exact sums, fair shares, deterministic ties."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotpot.domain.distribution import (
    DistributionPeriod,
    NoEligibleHolders,
    PeriodKey,
    distribute,
    period_of,
)

FAST = settings(max_examples=300, deadline=None)

holdings_strategy = st.dictionaries(
    st.text(alphabet="0123456789abcdef", min_size=1, max_size=8),
    st.integers(0, 10**12),
    min_size=1,
    max_size=40,
).filter(lambda h: sum(h.values()) > 0)


def test_simple_pro_rata() -> None:
    assert distribute(1_000, {"a": 600, "b": 300, "c": 100}) == {"a": 600, "b": 300, "c": 100}


def test_leftover_units_go_to_the_largest_remainders() -> None:
    # fair shares: a 3.333.., b 3.333.., c 3.333..: one unit left, tie broken by key
    assert distribute(10, {"c": 1, "b": 1, "a": 1}) == {"a": 4, "b": 3, "c": 3}
    # fair shares 6.6 / 3.3 / 0.1: remainders .6, .3, .1 -> leftover 1 to "x"
    assert distribute(10, {"x": 66, "y": 33, "z": 1}) == {"x": 7, "y": 3, "z": 0}


def test_zero_holders_get_nothing_and_are_listed() -> None:
    assert distribute(7, {"a": 0, "b": 5}) == {"a": 0, "b": 7}


def test_an_empty_pool_pays_zero() -> None:
    assert distribute(0, {"a": 3, "b": 4}) == {"a": 0, "b": 0}
    assert distribute(0, {}) == {}


def test_a_pool_without_holders_is_refused() -> None:
    with pytest.raises(NoEligibleHolders):
        distribute(5, {"a": 0})
    with pytest.raises(NoEligibleHolders):
        distribute(5, {})


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        distribute(5, {"a": -1, "b": 2})
    with pytest.raises(TypeError):
        distribute(5.0, {"a": 1})  # type: ignore[arg-type]


def test_keys_may_be_any_sortable_type() -> None:
    assert distribute(5, {2: 1, 1: 1}) == {1: 3, 2: 2}


@given(st.integers(0, 10**15), holdings_strategy)
@FAST
def test_sum_is_exact_and_each_payout_is_within_one_unit_of_fair(
    pool: int, holdings: dict[str, int]
) -> None:
    paid = distribute(pool, holdings)
    total = sum(holdings.values())
    assert paid.keys() == holdings.keys()
    assert sum(paid.values()) == pool
    for key, units in holdings.items():
        fair = Fraction(pool * units, total)
        assert type(paid[key]) is int
        assert fair - 1 < paid[key] <= fair + 1
        assert paid[key] in (pool * units // total, pool * units // total + 1)
        if units == 0:
            assert paid[key] == 0


@given(st.integers(0, 10**15), holdings_strategy)
@FAST
def test_larger_holdings_never_get_less(pool: int, holdings: dict[str, int]) -> None:
    paid = distribute(pool, holdings)
    ordered = sorted(holdings, key=holdings.__getitem__)
    for smaller, larger in pairwise(ordered):
        if holdings[larger] > holdings[smaller]:
            assert paid[larger] >= paid[smaller]
        else:
            assert abs(paid[larger] - paid[smaller]) <= 1


@given(st.integers(0, 10**9), holdings_strategy, st.randoms(use_true_random=False))
@FAST
def test_deterministic_whatever_the_input_order(
    pool: int, holdings: dict[str, int], rnd: object
) -> None:
    items = list(holdings.items())
    rnd.shuffle(items)  # type: ignore[attr-defined]
    assert distribute(pool, dict(items)) == distribute(pool, holdings)


def test_period_keys() -> None:
    at = datetime(2025, 8, 15, 12, 0, tzinfo=UTC)
    assert period_of(at) == PeriodKey(DistributionPeriod.YEARLY, "2025")
    assert period_of(at, DistributionPeriod.QUARTERLY).label == "2025-Q3"
    assert period_of(at, DistributionPeriod.MONTHLY).label == "2025-08"
    # 21:00 UTC on 31 Dec is already New Year in Tbilisi (UTC+4)
    assert period_of(datetime(2025, 12, 31, 21, 0, tzinfo=UTC)).label == "2026"
    with pytest.raises(ValueError, match="timezone-aware"):
        period_of(datetime(2025, 1, 1))
