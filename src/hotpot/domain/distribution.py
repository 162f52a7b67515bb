"""Paying the unclaimed pool to ST holders, pro rata, to the last unit.

Largest-remainder (Hamilton) apportionment: everyone first gets the floor of their exact
share pool * holding / total; the units left over (fewer than the number of holders) go
one each to the largest remainders. Ties are broken by the holder key, ascending, so the
same input always pays the same way. Consequences, all tested:
- the payouts sum to the pool exactly;
- each payout is the floor of the fair share or one unit more;
- a larger holding never receives less than a smaller one.

`distribute_to_customers` is the settled rule on top of it (domain.md): only customers
are paid, pro rata to their ST, and no customer beyond 49 % of ST supply; what the cap
withholds from one is shared among the others (water-filling), and what nobody can take
is left over (it stays in the pool). Who is a customer is the caller's decision.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, TypeVar
from uuid import UUID

from hotpot.domain.caps import CUSTOMER_CAP_BPS
from hotpot.domain.tokenomics import BPS_DENOMINATOR, NETWORK_TIMEZONE, require_non_negative


class _Sortable(Protocol):
    def __lt__(self, other: Any, /) -> bool: ...


K = TypeVar("K", bound=_Sortable)


class NoEligibleHolders(ValueError):
    """There is a pool to pay but no holder with a positive ST balance."""


def distribute(pool_units: int, holdings: Mapping[K, int]) -> dict[K, int]:
    """Split `pool_units` over `holdings` pro rata; returns a payout for every key."""
    pool = require_non_negative("pool_units", pool_units)
    for key, units in holdings.items():
        require_non_negative(f"holding of {key!r}", units)
    total = sum(holdings.values())
    if total == 0:
        if pool > 0:
            raise NoEligibleHolders(f"{pool} units to distribute but no eligible ST holder")
        return dict.fromkeys(holdings, 0)

    payouts: dict[K, int] = {}
    remainders: dict[K, int] = {}
    for key, units in holdings.items():
        payouts[key], remainders[key] = divmod(pool * units, total)

    leftover = pool - sum(payouts.values())  # < number of positive holders
    by_remainder = sorted(
        (key for key in holdings if holdings[key] > 0),
        key=lambda key: (-remainders[key], key),
    )
    for key in by_remainder[:leftover]:
        payouts[key] += 1
    return payouts


def distribute_to_customers(
    pool_units: int,
    customer_holdings: Mapping[K, int],
    supply_units: int,
    cap_bps: int = CUSTOMER_CAP_BPS,
) -> dict[K, int]:
    """Pay `pool_units` to the customers pro rata, no one beyond `cap_bps` of the supply.

    A customer whose fair share would take them above the cap gets only up to it, and
    the rest is shared again among the others, until nobody is above it; the sum paid is
    at most the pool (exactly the pool unless every customer is at the cap).
    """
    pool = require_non_negative("pool_units", pool_units)
    supply = require_non_negative("supply_units", supply_units)
    for key, units in customer_holdings.items():
        require_non_negative(f"holding of {key!r}", units)
    if sum(customer_holdings.values()) == 0 and pool > 0:
        raise NoEligibleHolders(f"{pool} units to distribute but no customer holds ST")
    limit = supply * cap_bps // BPS_DENOMINATOR  # the most one customer may hold
    room = {key: max(0, limit - units) for key, units in customer_holdings.items()}
    payouts = dict.fromkeys(customer_holdings, 0)
    open_keys = {key for key, units in customer_holdings.items() if units > 0 and room[key] > 0}
    left = pool
    while left > 0 and open_keys:
        shares = distribute(left, {key: customer_holdings[key] for key in open_keys})
        capped = {key for key in open_keys if shares[key] > room[key]}
        if not capped:
            for key in open_keys:
                payouts[key] += shares[key]
            return payouts
        for key in capped:  # fill these to the cap, then share the rest again
            payouts[key] += room[key]
            left -= room[key]
            room[key] = 0
        open_keys -= capped
    return payouts


class DistributionPeriod(StrEnum):
    YEARLY = "YEARLY"
    QUARTERLY = "QUARTERLY"
    MONTHLY = "MONTHLY"


DEFAULT_DISTRIBUTION_PERIOD = DistributionPeriod.YEARLY


@dataclass(frozen=True)
class PeriodKey:
    """Names the period a distribution belongs to; at most one distribution per key."""

    period: DistributionPeriod
    label: str  # "2025", "2025-Q3", "2025-07"


def period_of(at: datetime, period: DistributionPeriod = DEFAULT_DISTRIBUTION_PERIOD) -> PeriodKey:
    """The distribution period containing `at`, in network (Tbilisi) time."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("a timezone-aware datetime is required")
    local = at.astimezone(NETWORK_TIMEZONE)
    if period is DistributionPeriod.YEARLY:
        label = f"{local.year:04d}"
    elif period is DistributionPeriod.QUARTERLY:
        label = f"{local.year:04d}-Q{(local.month - 1) // 3 + 1}"
    else:
        label = f"{local.year:04d}-{local.month:02d}"
    return PeriodKey(period, label)


@dataclass(frozen=True)
class PoolState:
    """The unclaimed pool, what custody still holds for live receipts, and the period."""

    pool_thp_units: int
    custody_thp_units: int
    custody_spot_units: int
    period: DistributionPeriod
    current_period: str


@dataclass(frozen=True)
class Distribution:
    """One period's payout of the pool to the ST holders."""

    id: UUID
    period: DistributionPeriod
    label: str
    pool_units: int
    holders_paid: int
    created_at: datetime
