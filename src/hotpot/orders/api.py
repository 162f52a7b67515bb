"""HTTP routes of the orders slice."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Query, Request, Response

from hotpot.domain.access import AccessRole
from hotpot.domain.orders import OrderStatus
from hotpot.http.auth import CurrentActor
from hotpot.http.context import Ctx
from hotpot.http.pagination import Paging
from hotpot.http.problems import ApiError, errors
from hotpot.http.schemas import Page, page_of
from hotpot.orders import service
from hotpot.orders.schemas import OrderIn, OrderOut, TransitionIn

router = APIRouter(prefix="/api/v1", tags=["orders"], responses=errors(422))


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
        raise ApiError(403, "forbidden", "only customers place orders through the app")
    await ctx.limiter.check("orders", str(actor.id), ctx.settings.rate_limit_orders_per_minute, 60)
    status, payload = await service.create_order(ctx, actor, body, idempotency_key)
    return Response(payload, status_code=status, media_type="application/json")


@router.get("/orders", response_model=Page[OrderOut], responses=errors(401, 403))
async def list_orders(
    ctx: Ctx,
    actor: CurrentActor,
    paging: Paging,
    node_id: Annotated[UUID | None, Query()] = None,
    status: Annotated[OrderStatus | None, Query()] = None,
) -> Page[OrderOut]:
    items = await service.list_orders(ctx, actor, node_id, status, paging.limit, paging.offset)
    return page_of(items, paging.limit, paging.offset)


@router.get("/orders/{order_id}", response_model=OrderOut, responses=errors(401, 403, 404))
async def get_order(order_id: UUID, ctx: Ctx, actor: CurrentActor) -> OrderOut:
    return await service.get_order(ctx, actor, order_id)


@router.post(
    "/orders/{order_id}/transitions",
    response_model=OrderOut,
    responses=errors(401, 403, 404, 409),
)
async def transition(order_id: UUID, body: TransitionIn, ctx: Ctx, actor: CurrentActor) -> OrderOut:
    return await service.transition(ctx, actor, order_id, body.status, body.reason)
