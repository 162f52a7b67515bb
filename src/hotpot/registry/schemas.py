"""Response bodies of the registry slice."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from hotpot.validation import Out


class NodeSales(Out):
    node_id: UUID
    name: str
    city: str
    sales_count: int
    volume_tetri: int


class OwnershipShares(Out):
    owner: int
    franchisees: int
    charity: int


class TransparencyOut(Out):
    thp_supply_units: int
    spot_supply_units: int
    charity_thp_units: int
    unclaimed_pool_thp_units: int
    custody_thp_units: int = Field(description="buyers' shares of walk-in sales not yet claimed")
    ownership_share_bps: OwnershipShares
    cap_breaches: list[str] = Field(
        description="caps broken now: owner, franchisees, customer (expected: none)"
    )
    sales_by_node: list[NodeSales]


class HolderRow(Out):
    holder: str
    address: str | None
    thp_units: int
    spot_units: int
    kyc_status: str | None
    role: str
