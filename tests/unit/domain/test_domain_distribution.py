"""Unclaimed-pool distribution: exact sums, fair shares, deterministic ties."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotpot.domain.caps import CUSTOMER_CAP_BPS, above_share, share_bps
from hotpot.domain.distribution import (
    DistributionPeriod,
    NoEligibleHolders,
    PeriodKey,
    distribute,
    distribute_to_customers,
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


def test_customers_are_paid_pro_rata_when_no_one_reaches_the_cap() -> None:
    # supply 10 000: customers hold 3 000 and 1 000, the owner the rest (not passed in)
    assert distribute_to_customers(400, {"a": 3_000, "b": 1_000}, 10_000) == {"a": 300, "b": 100}


def test_the_cap_withholds_and_the_others_get_it() -> None:
    # limit 4 900 of 10 000: "a" (4 800) can take only 100; the rest goes to "b"
    assert distribute_to_customers(1_000, {"a": 4_800, "b": 200}, 10_000) == {"a": 100, "b": 900}


def test_what_nobody_can_take_stays_unpaid() -> None:
    # one customer at 4 890 of 10 000: room for 10, the other 90 stay in the pool
    assert distribute_to_customers(100, {"a": 4_890}, 10_000) == {"a": 10}
    assert distribute_to_customers(100, {"a": 4_900}, 10_000) == {"a": 0}
    with pytest.raises(NoEligibleHolders):
        distribute_to_customers(100, {"a": 0}, 10_000)


network_strategy = st.tuples(
    st.integers(0, 10**9),  # owner
    st.lists(st.integers(0, 10**9), max_size=5),  # franchisees
    st.lists(st.integers(1, 10**9), min_size=1, max_size=20),  # customers
    st.integers(0, 10**9),  # charity and custody
    st.integers(1, 10**9),  # the pool
)


@given(network_strategy)
@FAST
def test_a_distribution_moves_no_share_but_the_customers(
    network: tuple[int, list[int], list[int], int, int],
) -> None:
    owner, franchisees, customers, others, pool = network
    holdings = {"owner": owner, "pool": pool, "others": others}
    holdings |= {f"f{i}": units for i, units in enumerate(franchisees)}
    customer_holdings = {f"c{i:02d}": units for i, units in enumerate(customers)}
    holdings |= customer_holdings
    supply = sum(holdings.values())

    paid = distribute_to_customers(pool, customer_holdings, supply)
    after = dict(holdings)
    for key, units in paid.items():
        after[key] += units
    after["pool"] -= sum(paid.values())

    assert paid.keys() == customer_holdings.keys()
    assert sum(after.values()) == supply  # nothing is minted or lost
    assert 0 <= sum(paid.values()) <= pool
    for key in ["owner", "others", *(f"f{i}" for i in range(len(franchisees)))]:
        assert after[key] == holdings[key]
        assert share_bps(after[key], supply) == share_bps(holdings[key], supply)
    for key in customer_holdings:
        assert paid[key] >= 0
        if paid[key] > 0:
            assert not above_share(after[key], supply, CUSTOMER_CAP_BPS)
    # the pool keeps something only when every customer is at the cap
    if sum(paid.values()) < pool:
        limit = supply * CUSTOMER_CAP_BPS // 10_000
        assert all(after[key] >= limit for key in customer_holdings)


def test_period_keys() -> None:
    at = datetime(2025, 8, 15, 12, 0, tzinfo=UTC)
    assert period_of(at) == PeriodKey(DistributionPeriod.YEARLY, "2025")
    assert period_of(at, DistributionPeriod.QUARTERLY).label == "2025-Q3"
    assert period_of(at, DistributionPeriod.MONTHLY).label == "2025-08"
    # 21:00 UTC on 31 Dec is already New Year in Tbilisi (UTC+4)
    assert period_of(datetime(2025, 12, 31, 21, 0, tzinfo=UTC)).label == "2026"
    with pytest.raises(ValueError, match="timezone-aware"):
        period_of(datetime(2025, 1, 1))
