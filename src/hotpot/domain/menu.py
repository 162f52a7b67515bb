"""Menu rules: item statuses, derived calories, what a customer may see and order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from hotpot.domain.access import AccessRole


class ItemStatus(StrEnum):
    PROPOSED = "PROPOSED"
    VOTING = "VOTING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    ACTIVE = "ACTIVE"
    RETIRED = "RETIRED"


# Status changes the owner may make directly (voting outcomes come from governance).
OWNER_STATUS_CHANGES: frozenset[tuple[ItemStatus, ItemStatus]] = frozenset(
    {
        (ItemStatus.APPROVED, ItemStatus.ACTIVE),
        (ItemStatus.ACTIVE, ItemStatus.RETIRED),
        (ItemStatus.RETIRED, ItemStatus.ACTIVE),
    }
)

# Who may read one item by its id (issue 10, item 17). Anyone: what is on the menu.
# Signed-in customers and staff (the voters, and who cooks and sells): also dishes on
# their way through a vote, so their ingredients and kcal can be read before voting.
# The network owner: everything. A terminal sells only what is on the menu.
PUBLIC_ITEM_STATUSES = frozenset({ItemStatus.ACTIVE})
VOTER_ITEM_STATUSES = PUBLIC_ITEM_STATUSES | {
    ItemStatus.PROPOSED,
    ItemStatus.VOTING,
    ItemStatus.APPROVED,
}
_VOTERS_AND_STAFF = frozenset(AccessRole) - {AccessRole.OWNER, AccessRole.TERMINAL}


def may_read_item(reader: AccessRole | None, status: ItemStatus) -> bool:
    """Whether `reader` (None: anonymous) may read an item in `status`."""
    if reader is AccessRole.OWNER:
        return True
    if reader in _VOTERS_AND_STAFF:
        return status in VOTER_ITEM_STATUSES
    return status in PUBLIC_ITEM_STATUSES


DEFAULT_PRIORITY = 5
DEFAULT_COOKING_MINUTES = 15


def total_kcal(ingredient_kcal: Iterable[int]) -> int:
    """Total calories are derived from the ingredients, never stored on their own."""
    return sum(ingredient_kcal)


def may_change_status(current: ItemStatus, target: ItemStatus) -> bool:
    return current == target or (current, target) in OWNER_STATUS_CHANGES


def orderable(status: ItemStatus, portions: int, quantity: int) -> bool:
    return status is ItemStatus.ACTIVE and portions >= quantity


@dataclass(frozen=True)
class Ingredient:
    name: str
    grams: int
    kcal: int


@dataclass(frozen=True)
class Item:
    id: UUID
    name: str
    description: str
    price_tetri: int
    priority: int
    cooking_minutes: int
    status: ItemStatus
    ingredients: tuple[Ingredient, ...]

    @property
    def total_kcal(self) -> int:
        return total_kcal(g.kcal for g in self.ingredients)


@dataclass(frozen=True)
class Portions:
    """How many portions of an item a node has left."""

    node_id: UUID
    item_id: UUID
    portions: int
