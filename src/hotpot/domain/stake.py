"""Roles by stake: derived from ST holdings on demand, never stored.

A share is compared as a ratio of integers by cross-multiplication, so 10 % of a supply
of 1 001 units is exactly 100.1 units and a holder of 100 units is not above it.
"""

from __future__ import annotations

from enum import StrEnum

from hotpot.domain.tokenomics import require_non_negative


class StakeRole(StrEnum):
    MAIN_OWNER = "MainOwner"
    BIG_STACK = "BigStack"
    MIDDLE_PLAYER = "MiddlePlayer"
    STARTER = "Starter"
    UNAUTHORIZED = "Unauthorized"


# Strict lower bounds, in percent of total ST supply, highest first.
STAKE_THRESHOLDS_PERCENT: tuple[tuple[StakeRole, int], ...] = (
    (StakeRole.BIG_STACK, 10),
    (StakeRole.MIDDLE_PLAYER, 5),
    (StakeRole.STARTER, 1),
)


def holds_more_than(holding: int, supply: int, percent: int) -> bool:
    """holding / supply > percent / 100, without division."""
    return holding * 100 > supply * percent


def role_by_stake(holding_units: int, supply_units: int, *, is_owner: bool = False) -> StakeRole:
    """The role of an ST holder; the network owner is MainOwner whatever they hold."""
    holding = require_non_negative("holding_units", holding_units)
    supply = require_non_negative("supply_units", supply_units)
    if holding > supply:
        raise ValueError(f"holding {holding} exceeds the ST supply {supply}")
    if is_owner:
        return StakeRole.MAIN_OWNER
    for role, percent in STAKE_THRESHOLDS_PERCENT:
        if holds_more_than(holding, supply, percent):
            return role
    return StakeRole.UNAUTHORIZED
