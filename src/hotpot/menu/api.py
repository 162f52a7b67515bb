"""HTTP routes of the menu slice."""

from __future__ import annotations

import re
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response
from starlette.types import Scope

from hotpot.context import AppContext
from hotpot.domain.menu import ItemStatus
from hotpot.http.auth import MaybeActor, OwnerOnly
from hotpot.http.context import Ctx
from hotpot.http.middleware import FastAnswer, FastRead, only_header
from hotpot.http.pagination import Paging
from hotpot.http.problems import errors
from hotpot.http.schemas import Page, page_from
from hotpot.menu import service
from hotpot.menu.schemas import ItemIn, ItemOut, ItemPatch, MenuOut

router = APIRouter(prefix="/api/v1", tags=["menu"], responses=errors(422))


# The only query `menu_read` answers itself; anything else goes to the route's validation.
_NODE_QUERY = re.compile(
    rb"node_id=[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_IF_NONE_MATCH_MAX = 1000


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
    if_none_match: Annotated[str | None, Header(max_length=_IF_NONE_MATCH_MAX)] = None,
) -> Response:
    menu = await service.public_menu(ctx, node_id)
    headers = {"ETag": menu.etag, "Cache-Control": "no-cache"}
    if _matches(if_none_match, menu.etag):
        return Response(status_code=304, headers=headers)
    return Response(menu.body, media_type="application/json", headers=headers)


def menu_read(ctx: AppContext) -> FastRead:
    """`GET /menu` for `FastReads`: this process's cached copy, the same bytes as above."""

    def read(scope: Scope) -> FastAnswer | None:
        query: bytes = scope.get("query_string", b"")
        if not query:
            node_id = None
        elif _NODE_QUERY.fullmatch(query):
            node_id = UUID(query[8:].decode())
        else:
            return None
        single, if_none_match = only_header(scope, b"if-none-match")
        if not single or (if_none_match and len(if_none_match) > _IF_NONE_MATCH_MAX):
            return None
        menu = service.cached_public_menu(ctx, node_id)
        if menu is None:
            return None
        etag = menu.etag.encode("latin-1")
        if _matches(if_none_match, menu.etag):
            return 304, [(b"etag", etag), (b"cache-control", b"no-cache")], b""
        headers = [
            (b"etag", etag),
            (b"cache-control", b"no-cache"),
            (b"content-length", str(len(menu.body)).encode()),
            (b"content-type", b"application/json"),
        ]
        return 200, headers, menu.body

    return read


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
