"""Menu rules: item statuses, derived calories, what a customer may see and order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID


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
