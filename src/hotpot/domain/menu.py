"""Menu rules: item statuses, derived calories, what a customer may see and order."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


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
