"""Ownership caps on the ST supply.

The owner (<= 48 %) and franchisee (<= 24 % together) caps hold by construction of the
purchase rule (each party gets the floor of a share no larger than its cap); they are
checked here so the metrics layer can export them and alert on a breach. The one-customer
cap (<= 49 %) is enforced: a claim or a transfer that would take a customer above it is
refused and nothing moves. The purchase rule itself never refuses a sale, so a customer
can still end up above it; `cap_breaches` flags that too.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hotpot.domain.tokenomics import BPS_DENOMINATOR, require_non_negative

OWNER_CAP_BPS = 4_800
FRANCHISEES_CAP_BPS = 2_400
CUSTOMER_CAP_BPS = 4_900


class CapKind(StrEnum):
    OWNER = "owner"
    FRANCHISEES = "franchisees"
    CUSTOMER = "customer"


CAP_BPS: dict[CapKind, int] = {
    CapKind.OWNER: OWNER_CAP_BPS,
    CapKind.FRANCHISEES: FRANCHISEES_CAP_BPS,
    CapKind.CUSTOMER: CUSTOMER_CAP_BPS,
}


def above_share(holding: int, supply: int, cap_bps: int) -> bool:
    """holding / supply > cap_bps / 10 000, by integer cross-multiplication."""
    return holding * BPS_DENOMINATOR > supply * cap_bps


def share_bps(holding: int, supply: int) -> int:
    """holding / supply in basis points, rounded down; 0 while nothing is in supply."""
    return holding * BPS_DENOMINATOR // supply if supply else 0


@dataclass(frozen=True)
class CapBreach:
    kind: CapKind
    holding_units: int
    supply_units: int

    @property
    def cap_bps(self) -> int:
        return CAP_BPS[self.kind]


def cap_breaches(
    *,
    owner_units: int,
    franchisees_units: int,
    supply_units: int,
    largest_customer_units: int = 0,
) -> list[CapBreach]:
    """Which caps are broken now (expected: none). A customer can be above 49 % all the
    same (rounding in a tiny network), so the largest customer's holding is checked too."""
    supply = require_non_negative("supply_units", supply_units)
    held = {
        CapKind.OWNER: require_non_negative("owner_units", owner_units),
        CapKind.FRANCHISEES: require_non_negative("franchisees_units", franchisees_units),
        CapKind.CUSTOMER: require_non_negative("largest_customer_units", largest_customer_units),
    }
    return [
        CapBreach(kind, units, supply)
        for kind, units in held.items()
        if above_share(units, supply, CAP_BPS[kind])
    ]


class CustomerCapExceeded(ValueError):
    """A claim or transfer would take one customer above 49 % of the ST supply."""

    def __init__(self, balance_after: int, supply: int) -> None:
        self.balance_after = balance_after
        self.supply = supply
        super().__init__(
            f"refused: the customer would hold {balance_after} of {supply} ST units, "
            f"above the {CUSTOMER_CAP_BPS // 100} % cap"
        )


def would_exceed_customer_cap(balance_units: int, incoming_units: int, supply_units: int) -> bool:
    """Would receiving `incoming_units` take this customer above 49 % of ST supply?

    Claims and transfers move existing units, so the supply does not change with them.
    """
    balance = require_non_negative("balance_units", balance_units)
    incoming = require_non_negative("incoming_units", incoming_units)
    supply = require_non_negative("supply_units", supply_units)
    if balance + incoming > supply:
        raise ValueError(f"{balance} + {incoming} units exceed the ST supply {supply}")
    return above_share(balance + incoming, supply, CUSTOMER_CAP_BPS)


def ensure_within_customer_cap(balance_units: int, incoming_units: int, supply_units: int) -> None:
    """Raise CustomerCapExceeded when the move must be refused."""
    if would_exceed_customer_cap(balance_units, incoming_units, supply_units):
        raise CustomerCapExceeded(balance_units + incoming_units, supply_units)
