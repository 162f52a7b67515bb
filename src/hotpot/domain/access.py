"""Who acts on the platform: the caller's access role and identity, as pure values."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID


class AccessRole(StrEnum):
    """Who is calling: a staff role, a customer or a POS terminal (never a stake role)."""

    OWNER = "owner"
    FRANCHISEE = "franchisee"
    CHEF = "chef"
    CASHIER = "cashier"
    COMPLIANCE = "compliance"
    CUSTOMER = "customer"
    TERMINAL = "terminal"


@dataclass(frozen=True)
class Actor:
    """Who is acting: a person's role (and node for node staff) or a POS terminal."""

    role: AccessRole
    id: UUID
    node_ids: frozenset[UUID] = frozenset()

    def acts_at(self, node_id: UUID) -> bool:
        return self.role is AccessRole.OWNER or node_id in self.node_ids
