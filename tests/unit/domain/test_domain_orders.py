"""The order state machine's refusals: each a domain error of the kind its HTTP status says."""

from __future__ import annotations

from uuid import uuid4

import pytest

from hotpot.domain.access import AccessRole, Actor
from hotpot.domain.errors import Conflict, DomainError, Forbidden, Invalid
from hotpot.domain.orders import OrderStatus, TransitionRefused, check_transition
from hotpot.http.problems import status_of

NODE, OTHER_NODE, CUSTOMER = uuid4(), uuid4(), uuid4()


def _refusal(actor: Actor, current: OrderStatus, target: OrderStatus) -> TransitionRefused:
    with pytest.raises(TransitionRefused) as caught:
        check_transition(
            actor,
            current=current,
            target=target,
            order_node=NODE,
            order_customer=CUSTOMER,
            reason=None,
        )
    return caught.value


CASHIER = Actor(role=AccessRole.CASHIER, id=uuid4(), node_ids=frozenset({NODE}))


@pytest.mark.parametrize(
    ("actor", "current", "target", "code", "kind", "status"),
    [
        # No path from READY back to PENDING: the order's state refuses it.
        (CASHIER, OrderStatus.READY, OrderStatus.PENDING, "invalid_transition", Conflict, 409),
        # A cashier does not cook.
        (
            CASHIER,
            OrderStatus.CONFIRMED,
            OrderStatus.IN_PROGRESS,
            "forbidden_transition",
            Forbidden,
            403,
        ),
        # Staff of another node.
        (
            Actor(role=AccessRole.CASHIER, id=uuid4(), node_ids=frozenset({OTHER_NODE})),
            OrderStatus.PENDING,
            OrderStatus.CONFIRMED,
            "forbidden_transition",
            Forbidden,
            403,
        ),
        # Someone else's order.
        (
            Actor(role=AccessRole.CUSTOMER, id=uuid4()),
            OrderStatus.PENDING,
            OrderStatus.CANCELLED,
            "forbidden_transition",
            Forbidden,
            403,
        ),
        (CASHIER, OrderStatus.CONFIRMED, OrderStatus.CANCELLED, "reason_required", Invalid, 422),
    ],
)
def test_each_refusal_is_the_kind_of_error_its_status_says(
    actor: Actor,
    current: OrderStatus,
    target: OrderStatus,
    code: str,
    kind: type[DomainError],
    status: int,
) -> None:
    refusal = _refusal(actor, current, target)
    assert refusal.code == code
    assert isinstance(refusal, kind)
    assert status_of(refusal) == status


def test_an_allowed_transition_raises_nothing() -> None:
    check_transition(
        CASHIER,
        current=OrderStatus.PENDING,
        target=OrderStatus.CONFIRMED,
        order_node=NODE,
        order_customer=CUSTOMER,
        reason=None,
    )
