"""HTTP routes of the orders slice."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import orjson
from fastapi import APIRouter, Header, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.context import AppContext
from hotpot.domain.access import AccessRole, Actor
from hotpot.domain.errors import Forbidden
from hotpot.domain.orders import Order, OrderStatus
from hotpot.domain.results import Slice
from hotpot.http import idempotency
from hotpot.http.auth import CurrentActor
from hotpot.http.context import Ctx
from hotpot.http.pagination import Paging
from hotpot.http.problems import errors
from hotpot.http.schemas import Page, page_from
from hotpot.orders import service
from hotpot.orders.schemas import LineOut, OrderIn, OrderOut, TransitionIn

router = APIRouter(prefix="/api/v1", tags=["orders"], responses=errors(422))


def order_out(order: Order) -> OrderOut:
    return OrderOut(
        id=order.id,
        customer_id=order.customer_id,
        node_id=order.node_id,
        status=order.status,
        total_tetri=order.total_tetri,
        cancel_reason=order.cancel_reason,
        created_at=order.created_at,
        updated_at=order.updated_at,
        lines=[
            LineOut(
                item_id=line.item_id,
                quantity=line.quantity,
                unit_price_tetri=line.unit_price_tetri,
                line_total_tetri=line.total_tetri,
            )
            for line in order.lines
        ],
    )


@router.post(
    "/orders",
    status_code=201,
    response_class=Response,
    responses={
        201: {"model": OrderOut, "description": "the order, PENDING"},
        **errors(400, 401, 403, 404, 409, 429),
    },
)
async def create_order(
    body: OrderIn,
    ctx: Ctx,
    request: Request,
    actor: CurrentActor,
    idempotency_key: Annotated[
        str | None,
        Header(
            max_length=200,
            description="retry-safe key: the same key and body return the first response",
        ),
    ] = None,
) -> Response:
    if actor.role is not AccessRole.CUSTOMER:
        raise Forbidden("forbidden", "only customers place orders through the app")
    status, payload = await place_once(ctx, actor, body, idempotency_key)
    return Response(payload, status_code=status, media_type="application/json")


async def place_once(
    ctx: AppContext, actor: Actor, body: OrderIn, idempotency_key: str | None
) -> tuple[int, bytes]:
    """An order placed once per Idempotency-Key: this route and the web's order form (the
    same fingerprint, so the same key and lines are the same order either way)."""
    await ctx.limiter.check("orders", str(actor.id), ctx.settings.rate_limit_orders_per_minute, 60)

    async def work(conn: AsyncConnection) -> tuple[int, bytes]:
        order = await service.place_order(conn, actor, body)
        return 201, orjson.dumps(order_out(order).model_dump(mode="json"))

    # A replay answers with the first response's stored bytes.
    result = await idempotency.run_once(
        ctx.db,
        scope=str(actor.id),
        key=idempotency_key,
        fingerprint=idempotency.request_fingerprint(
            "POST", "/api/v1/orders", body.model_dump(mode="json")
        ),
        in_flight_seconds=ctx.settings.idempotency_in_flight_seconds,
        work=work,
    )
    service.count_placed()
    return result


@router.get("/orders", response_model=Page[OrderOut], responses=errors(401, 403))
async def list_orders(
    ctx: Ctx,
    actor: CurrentActor,
    paging: Paging,
    node_id: Annotated[UUID | None, Query()] = None,
    status: Annotated[OrderStatus | None, Query()] = None,
) -> Page[OrderOut]:
    found = await service.list_orders(ctx, actor, node_id, status, paging.limit, paging.offset)
    # Lines need order_out's mapping (their totals), so the page gets ready response models.
    mapped = Slice([order_out(order) for order in found.items], found.has_more)
    return page_from(mapped, OrderOut, paging.limit, paging.offset)


@router.get("/orders/{order_id}", response_model=OrderOut, responses=errors(401, 403, 404))
async def get_order(order_id: UUID, ctx: Ctx, actor: CurrentActor) -> OrderOut:
    return order_out(await service.get_order(ctx, actor, order_id))


@router.post(
    "/orders/{order_id}/transitions",
    response_model=OrderOut,
    responses=errors(401, 403, 404, 409),
)
async def transition(order_id: UUID, body: TransitionIn, ctx: Ctx, actor: CurrentActor) -> OrderOut:
    return order_out(await service.transition(ctx, actor, order_id, body.status, body.reason))


@router.get(
    "/nodes/{node_id}/orders/open", response_model=Page[OrderOut], responses=errors(401, 403)
)
async def open_orders(
    node_id: UUID, ctx: Ctx, actor: CurrentActor, paging: Paging
) -> Page[OrderOut]:
    """The node's kitchen queue: PENDING, CONFIRMED, IN_PROGRESS and READY orders, oldest
    first (the network owner and the node's own staff)."""
    found = await service.open_orders(ctx, actor, node_id, paging.limit, paging.offset)
    mapped = Slice([order_out(order) for order in found.items], found.has_more)
    return page_from(mapped, OrderOut, paging.limit, paging.offset)
