"""HTTP routes of the menu slice."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response

from hotpot.domain.menu import ItemStatus
from hotpot.http.auth import MaybeActor, OwnerOnly
from hotpot.http.context import Ctx
from hotpot.http.pagination import Paging
from hotpot.http.problems import errors
from hotpot.http.schemas import Page, page_from
from hotpot.menu import service
from hotpot.menu.schemas import ItemIn, ItemOut, ItemPatch, MenuOut

router = APIRouter(prefix="/api/v1", tags=["menu"], responses=errors(422))


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in candidates or etag in candidates


@router.get(
    "/menu",
    response_class=Response,
    responses={
        200: {"model": MenuOut, "description": "the public menu (ACTIVE items)"},
        304: {"description": "not modified since the ETag given in If-None-Match"},
        **errors(404),
    },
)
async def public_menu(
    ctx: Ctx,
    node_id: Annotated[UUID | None, Query(description="show portions left at this node")] = None,
    if_none_match: Annotated[str | None, Header(max_length=1000)] = None,
) -> Response:
    menu = await service.public_menu(ctx, node_id)
    headers = {"ETag": menu.etag, "Cache-Control": "no-cache"}
    if _matches(if_none_match, menu.etag):
        return Response(status_code=304, headers=headers)
    return Response(menu.body, media_type="application/json", headers=headers)


@router.get("/menu/items/{item_id}", response_model=ItemOut, responses=errors(401, 404))
async def get_item(item_id: UUID, ctx: Ctx, actor: MaybeActor) -> ItemOut:
    """ACTIVE to anyone; in a vote to signed-in customers and staff; any to the owner."""
    reader = actor.role if actor else None
    return ItemOut.model_validate(await service.get_item(ctx, item_id, reader))


@router.get("/menu/items", response_model=Page[ItemOut], responses=errors(401, 403))
async def list_items(
    ctx: Ctx,
    _: OwnerOnly,
    paging: Paging,
    status: Annotated[ItemStatus | None, Query()] = None,
) -> Page[ItemOut]:
    found = await service.list_items(ctx, status, paging.limit, paging.offset)
    return page_from(found, ItemOut, paging.limit, paging.offset)


@router.post("/menu/items", status_code=201, response_model=ItemOut, responses=errors(401, 403))
async def create_item(body: ItemIn, ctx: Ctx, owner: OwnerOnly) -> ItemOut:
    return ItemOut.model_validate(await service.create_item(ctx, body, owner.id))


@router.patch(
    "/menu/items/{item_id}",
    response_model=ItemOut,
    responses=errors(401, 403, 404, 409),
)
async def update_item(item_id: UUID, body: ItemPatch, ctx: Ctx, _: OwnerOnly) -> ItemOut:
    return ItemOut.model_validate(await service.update_item(ctx, item_id, body))
