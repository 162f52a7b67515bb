"""Roles by stake: strict thresholds, exact integer comparison."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotpot.domain.stake import StakeRole, role_by_stake


@pytest.mark.parametrize(
    ("holding", "supply", "role"),
    [
        (1_001, 10_000, StakeRole.BIG_STACK),
        (1_000, 10_000, StakeRole.MIDDLE_PLAYER),  # exactly 10 % is not above 10 %
        (501, 10_000, StakeRole.MIDDLE_PLAYER),
        (500, 10_000, StakeRole.STARTER),
        (101, 10_000, StakeRole.STARTER),
        (100, 10_000, StakeRole.UNAUTHORIZED),
        (0, 10_000, StakeRole.UNAUTHORIZED),
        (10_000, 10_000, StakeRole.BIG_STACK),
        (0, 0, StakeRole.UNAUTHORIZED),  # no supply yet: nobody has a stake
        # 10 % of 1 001 is 100.1: 100 is below it, 101 above (a float-free comparison)
        (100, 1_001, StakeRole.MIDDLE_PLAYER),
        (101, 1_001, StakeRole.BIG_STACK),
    ],
)
def test_thresholds(holding: int, supply: int, role: StakeRole) -> None:
    assert role_by_stake(holding, supply) is role


def test_the_owner_is_main_owner_whatever_the_stake() -> None:
    assert role_by_stake(0, 10_000, is_owner=True) is StakeRole.MAIN_OWNER
    assert role_by_stake(4_800, 10_000, is_owner=True) is StakeRole.MAIN_OWNER


@pytest.mark.parametrize(("holding", "supply"), [(-1, 10), (11, 10), (1, -1)])
def test_impossible_stakes_are_refused(holding: int, supply: int) -> None:
    with pytest.raises(ValueError):
        role_by_stake(holding, supply)


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError):
        role_by_stake(1.5, 100)  # type: ignore[arg-type]


@given(st.integers(0, 10**20).flatmap(lambda s: st.tuples(st.integers(0, s), st.just(s))))
@settings(max_examples=300, deadline=None)
def test_matches_exact_rational_shares(pair: tuple[int, int]) -> None:
    holding, supply = pair
    share = Fraction(holding, supply) if supply else Fraction(0)
    expected = (
        StakeRole.BIG_STACK
        if share > Fraction(1, 10)
        else StakeRole.MIDDLE_PLAYER
        if share > Fraction(1, 20)
        else StakeRole.STARTER
        if share > Fraction(1, 100)
        else StakeRole.UNAUTHORIZED
    )
    assert role_by_stake(holding, supply) is expected
