"""The order state machine and who may move an order, as pure rules."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from hotpot.domain.access import AccessRole, Actor
from hotpot.domain.errors import Conflict, DomainError, Forbidden, Invalid


class OrderStatus(StrEnum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    IN_PROGRESS = "IN_PROGRESS"
    READY = "READY"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


# Still in the kitchen's hands: what the kitchen display shows, in the order it moves.
OPEN_STATUSES = (
    OrderStatus.PENDING,
    OrderStatus.CONFIRMED,
    OrderStatus.IN_PROGRESS,
    OrderStatus.READY,
)

# Who may take each transition. Staff other than the owner act only at their own node;
# a customer only on their own order (both checked by `may_transition`). A POS terminal
# records walk-in sales, never moves app orders (and `http.auth` refuses it on these routes).
_FRONT_OF_HOUSE = frozenset(
    {AccessRole.OWNER, AccessRole.FRANCHISEE, AccessRole.CASHIER, AccessRole.CHEF}
)
_KITCHEN = frozenset({AccessRole.OWNER, AccessRole.FRANCHISEE, AccessRole.CHEF})
TRANSITIONS: dict[tuple[OrderStatus, OrderStatus], frozenset[AccessRole]] = {
    (OrderStatus.PENDING, OrderStatus.CONFIRMED): _FRONT_OF_HOUSE,
    (OrderStatus.CONFIRMED, OrderStatus.IN_PROGRESS): _KITCHEN,
    (OrderStatus.IN_PROGRESS, OrderStatus.READY): _KITCHEN,
    (OrderStatus.READY, OrderStatus.COMPLETED): _FRONT_OF_HOUSE,
    (OrderStatus.PENDING, OrderStatus.CANCELLED): _FRONT_OF_HOUSE | {AccessRole.CUSTOMER},
    (OrderStatus.CONFIRMED, OrderStatus.CANCELLED): _FRONT_OF_HOUSE,
}


class TransitionRefused(DomainError):
    """A transition the rules do not allow; `code` is stable for API clients."""


class NoSuchTransition(TransitionRefused, Conflict):
    """The order's status does not lead to the one asked for."""


class TransitionForbidden(TransitionRefused, Forbidden):
    """The caller may not take this transition (role, node or someone else's order)."""


class ReasonRequired(TransitionRefused, Invalid):
    """The transition needs a reason and none was given."""


def role_may_move(role: AccessRole, current: OrderStatus, target: OrderStatus) -> bool:
    """Whether the role may ever take this move (the order's node or owner aside)."""
    return role in TRANSITIONS.get((current, target), frozenset())


def check_transition(
    actor: Actor,
    *,
    current: OrderStatus,
    target: OrderStatus,
    order_node: UUID,
    order_customer: UUID,
    reason: str | None,
) -> None:
    """Raise TransitionRefused unless `actor` may move the order from `current` to `target`."""
    allowed = TRANSITIONS.get((current, target))
    if allowed is None:
        raise NoSuchTransition(
            "invalid_transition", f"an order in {current} cannot move to {target}"
        )
    if actor.role not in allowed:
        raise TransitionForbidden(
            "forbidden_transition", f"role {actor.role} may not move an order to {target}"
        )
    if actor.role is AccessRole.CUSTOMER:
        if actor.id != order_customer:
            raise TransitionForbidden("forbidden_transition", "this order belongs to someone else")
    elif not actor.acts_at(order_node):
        raise TransitionForbidden("forbidden_transition", "this order belongs to another node")
    if current is OrderStatus.CONFIRMED and target is OrderStatus.CANCELLED and not reason:
        raise ReasonRequired("reason_required", "cancelling a confirmed order needs a reason")


def releases_stock(current: OrderStatus, target: OrderStatus) -> bool:
    """Cancelling after confirmation gives the portions back."""
    return current is OrderStatus.CONFIRMED and target is OrderStatus.CANCELLED


def reserves_stock(current: OrderStatus, target: OrderStatus) -> bool:
    return current is OrderStatus.PENDING and target is OrderStatus.CONFIRMED


@dataclass(frozen=True)
class PricedLine:
    item_id: UUID
    quantity: int
    unit_price_tetri: int

    @property
    def total_tetri(self) -> int:
        return self.quantity * self.unit_price_tetri


def order_total(lines: Iterable[PricedLine]) -> int:
    """The server's total from menu prices, in integer tetri."""
    return sum(line.total_tetri for line in lines)


def merge_lines(lines: Iterable[tuple[UUID, int]]) -> list[tuple[UUID, int]]:
    """One line per item: the same dish named twice is one line with the summed quantity."""
    merged: dict[UUID, int] = {}
    for item_id, quantity in lines:
        merged[item_id] = merged.get(item_id, 0) + quantity
    return list(merged.items())


@dataclass(frozen=True)
class Order:
    id: UUID
    customer_id: UUID
    node_id: UUID
    status: OrderStatus
    total_tetri: int
    cancel_reason: str | None
    created_at: datetime
    updated_at: datetime
    lines: tuple[PricedLine, ...]
