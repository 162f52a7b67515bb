"""What the public registers show: one holder's line of the register, the transparency figures."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from hotpot.domain.stake import StakeRole


@dataclass(frozen=True)
class RegisterEntry:
    holder: str
    address: str | None
    thp_units: int
    spot_units: int
    kyc_status: str | None
    role: StakeRole


@dataclass(frozen=True)
class NodeSales:
    node_id: UUID
    name: str
    city: str
    sales_count: int
    volume_tetri: int


@dataclass(frozen=True)
class OwnershipShares:
    """Each party's share of the THP supply, in basis points."""

    owner: int
    franchisees: int
    charity: int


@dataclass(frozen=True)
class Transparency:
    thp_supply_units: int
    spot_supply_units: int
    charity_thp_units: int
    unclaimed_pool_thp_units: int
    custody_thp_units: int
    ownership_share_bps: OwnershipShares
    cap_breaches: list[str]
    sales_by_node: list[NodeSales]
