"""HTTP routes of the network slice."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from hotpot.accounts import service as accounts
from hotpot.context import AppContext
from hotpot.domain.network import Node
from hotpot.http.auth import CurrentActor, OwnerOnly, TillActor
from hotpot.http.context import Ctx
from hotpot.http.pagination import Paging
from hotpot.http.problems import errors
from hotpot.http.schemas import Page, page_from
from hotpot.menu import service as menu
from hotpot.menu.cache import invalidate as forget_menus
from hotpot.network import service
from hotpot.network.schemas import (
    AvailabilityIn,
    AvailabilityOut,
    NodeIn,
    NodeOut,
    NodePatch,
    TerminalCreated,
    TerminalIn,
    TerminalOut,
    TerminalPatch,
)

router = APIRouter(prefix="/api/v1", tags=["network"], responses=errors(422))


@router.get("/nodes", response_model=Page[NodeOut])
async def list_nodes(
    ctx: Ctx,
    paging: Paging,
    include_inactive: Annotated[bool, Query()] = False,
) -> Page[NodeOut]:
    found = await service.list_nodes(ctx, not include_inactive, paging.limit, paging.offset)
    return page_from(found, NodeOut, paging.limit, paging.offset)


@router.post("/nodes", status_code=201, response_model=NodeOut, responses=errors(401, 403, 404))
async def create_node(body: NodeIn, ctx: Ctx, _: OwnerOnly) -> NodeOut:
    return NodeOut.model_validate(await service.create_node(ctx, body, accounts.role_of))


async def change_node(ctx: AppContext, node_id: UUID, body: NodePatch) -> Node:
    """The owner's change of a node, for this route and the owner console alike."""
    node = await service.update_node(ctx, node_id, body, accounts.role_of)
    # Whether a node is active decides its menu (the menu reads nodes, not the reverse).
    await forget_menus(ctx, [node_id])
    return node


@router.patch("/nodes/{node_id}", response_model=NodeOut, responses=errors(401, 403, 404))
async def update_node(node_id: UUID, body: NodePatch, ctx: Ctx, _: OwnerOnly) -> NodeOut:
    return NodeOut.model_validate(await change_node(ctx, node_id, body))


@router.post(
    "/nodes/{node_id}/terminals",
    status_code=201,
    response_model=TerminalCreated,
    responses=errors(401, 403, 404),
)
async def create_terminal(
    node_id: UUID, body: TerminalIn, ctx: Ctx, _: OwnerOnly
) -> TerminalCreated:
    return TerminalCreated.model_validate(await service.create_terminal(ctx, node_id, body.name))


@router.get(
    "/nodes/{node_id}/terminals", response_model=Page[TerminalOut], responses=errors(401, 403)
)
async def list_terminals(
    node_id: UUID, ctx: Ctx, actor: CurrentActor, paging: Paging
) -> Page[TerminalOut]:
    found = await service.list_terminals(ctx, actor, node_id, paging.limit, paging.offset)
    return page_from(found, TerminalOut, paging.limit, paging.offset)


@router.patch(
    "/terminals/{terminal_id}", response_model=TerminalOut, responses=errors(401, 403, 404)
)
async def update_terminal(
    terminal_id: UUID, body: TerminalPatch, ctx: Ctx, _: OwnerOnly
) -> TerminalOut:
    # Through accounts: leaving the whitelist also revokes the till's refresh tokens.
    return TerminalOut.model_validate(
        await accounts.set_terminal_whitelisted(ctx, terminal_id, body.whitelisted)
    )


@router.put(
    "/nodes/{node_id}/availability/{item_id}",
    response_model=AvailabilityOut,
    responses=errors(401, 403, 404),
)
async def set_availability(
    node_id: UUID, item_id: UUID, body: AvailabilityIn, ctx: Ctx, actor: TillActor
) -> AvailabilityOut:
    # Portions are the menu's (its availability table); the route stays under the node.
    portions = await menu.set_portions(ctx, actor, node_id, item_id, body.portions)
    return AvailabilityOut.model_validate(portions)
