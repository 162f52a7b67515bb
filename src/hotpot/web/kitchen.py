"""The kitchen display: a node's open orders by state, oldest first, one tap per move."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import Query, Request
from starlette.responses import RedirectResponse, Response

from hotpot.domain.access import AccessRole, Actor
from hotpot.domain.errors import Invalid
from hotpot.domain.orders import OPEN_STATUSES, Order, OrderStatus, role_may_move
from hotpot.http.auth import require_roles
from hotpot.http.context import Ctx
from hotpot.orders import service as orders
from hotpot.web.common import active_nodes, node_menu, node_named, pages_router, parse_uuid
from hotpot.web.session import Form, WebActor
from hotpot.web.templating import page

router = pages_router()

# The cashier is front of house: confirms and hands over (domain/orders.py TRANSITIONS).
_kitchen_staff = require_roles(
    AccessRole.OWNER, AccessRole.FRANCHISEE, AccessRole.CHEF, AccessRole.CASHIER
)

# At most this many open orders on the display (one query): more than a wall can show.
QUEUE_LIMIT = 400


@dataclass(frozen=True)
class Step:
    status: OrderStatus
    label: str


# The one forward move each open state offers on the display (the service decides who may).
NEXT = {
    OrderStatus.PENDING: Step(OrderStatus.CONFIRMED, "Confirm"),
    OrderStatus.CONFIRMED: Step(OrderStatus.IN_PROGRESS, "Start cooking"),
    OrderStatus.IN_PROGRESS: Step(OrderStatus.READY, "Ready"),
    OrderStatus.READY: Step(OrderStatus.COMPLETED, "Handed over"),
}
CANCELLABLE = frozenset({OrderStatus.PENDING, OrderStatus.CONFIRMED})


async def _node_for(ctx: Ctx, actor: Actor, wanted: str) -> UUID | None:
    if wanted:
        return parse_uuid(wanted, "restaurant")
    if len(actor.node_ids) == 1:
        return next(iter(actor.node_ids))
    return None


async def _queue(ctx: Ctx, actor: Actor, node_id: UUID) -> dict[str, Any]:
    menu = {item["id"]: item for item in await node_menu(ctx, node_id)}
    now = datetime.now(UTC)
    found = await orders.open_orders(ctx, actor, node_id, QUEUE_LIMIT)  # oldest first
    cards: dict[OrderStatus, list[dict[str, Any]]] = {status: [] for status in OPEN_STATUSES}
    for order in found.items:
        cards[order.status].append(_card(order, menu, now))
    # Only the buttons this role may tap: a cashier confirms and hands over, a chef cooks.
    columns = [
        {
            "status": status,
            "orders": cards[status],
            "next": NEXT[status]
            if role_may_move(actor.role, status, NEXT[status].status)
            else None,
            "cancel": status in CANCELLABLE
            and role_may_move(actor.role, status, OrderStatus.CANCELLED),
        }
        for status in OPEN_STATUSES
    ]
    return {"columns": columns, "node_id": node_id, "more": found.has_more}


def _card(order: Order, menu: dict[str, Any], now: datetime) -> dict[str, Any]:
    lines = []
    cooking = 0
    for line in order.lines:
        item = menu.get(str(line.item_id))
        lines.append(
            {"name": item["name"] if item else str(line.item_id)[:8], "qty": line.quantity}
        )
        if item:
            cooking = max(cooking, int(item["cooking_minutes"]))
    waiting = max(0, int((now - order.created_at).total_seconds() // 60))
    return {
        "order": order,
        "lines": lines,
        "cooking_minutes": cooking,
        "waiting_minutes": waiting,
        "late": cooking > 0 and waiting > cooking,
    }


@router.get("/kitchen")
async def kitchen(
    request: Request,
    ctx: Ctx,
    actor: WebActor,
    node: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    await _kitchen_staff(actor)
    node_id = await _node_for(ctx, actor, node)
    if node_id is None:
        nodes = [n for n in await active_nodes(ctx) if actor.acts_at(n.id)]
        return page(request, "kitchen_pick.html", nodes=nodes)
    chosen = await node_named(ctx, node_id)
    return page(request, "kitchen.html", node=chosen, **await _queue(ctx, actor, node_id))


@router.get("/kitchen/queue")
async def kitchen_queue(
    request: Request,
    ctx: Ctx,
    actor: WebActor,
    node: Annotated[str, Query(max_length=100)],
) -> Response:
    """The fragment the display polls every second: new orders appear without a reload."""
    await _kitchen_staff(actor)
    node_id = parse_uuid(node, "restaurant")
    return page(request, "fragments/kitchen_queue.html", **await _queue(ctx, actor, node_id))


@router.post("/kitchen/orders/{order_id}/transition")
async def move(order_id: str, request: Request, ctx: Ctx, form: Form, actor: WebActor) -> Response:
    await _kitchen_staff(actor)
    try:
        target = OrderStatus(form.one("status"))
    except ValueError as exc:
        raise Invalid("invalid_status", "no such order status") from exc
    order = await orders.transition(
        ctx, actor, parse_uuid(order_id, "order"), target, form.one("reason") or None
    )
    return RedirectResponse(f"/app/kitchen?node={order.node_id}", status_code=303)
