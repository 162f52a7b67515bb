"""Network: nodes, their POS terminals and whitelist, and per-node availability."""

from __future__ import annotations

import secrets
from typing import Any
from uuid import UUID, uuid4

from hotpot.context import AppContext
from hotpot.domain.access import AccessRole, Actor
from hotpot.http.problems import ApiError
from hotpot.menu.cache import invalidate
from hotpot.network import repository as repo
from hotpot.network.schemas import (
    AvailabilityOut,
    FranchiseNodeIn,
    NodeOut,
    NodePatch,
    OwnerNodeIn,
    TerminalCreated,
    TerminalOut,
)
from hotpot.security.passwords import hash_secret

_NODE_NOT_FOUND = ApiError(404, "node_not_found", "no node with this id")


async def _check_franchisee(conn: Any, account_id: UUID | None) -> None:
    if account_id is None:
        return
    role = await repo.account_role(conn, account_id)
    if role is None:
        raise ApiError(404, "account_not_found", "no account with this owner_account_id")
    if role != AccessRole.FRANCHISEE.value:
        raise ApiError(422, "not_a_franchisee", "owner_account_id must name a franchisee account")


async def create_node(ctx: AppContext, data: OwnerNodeIn | FranchiseNodeIn) -> NodeOut:
    async with ctx.db.transaction() as conn:
        if isinstance(data, FranchiseNodeIn):
            await _check_franchisee(conn, data.owner_account_id)
        row = await repo.insert_node(conn, {"id": uuid4(), **data.model_dump()})
    return NodeOut.model_validate(row)


async def update_node(ctx: AppContext, node_id: UUID, data: NodePatch) -> NodeOut:
    values = data.model_dump(exclude_unset=True)
    async with ctx.db.transaction() as conn:
        current = await repo.node(conn, node_id)
        if current is None:
            raise _NODE_NOT_FOUND
        if "owner_account_id" in values:
            if current["type"] == "OWNER" and values["owner_account_id"] is not None:
                raise ApiError(
                    422, "owner_node_has_no_franchisee", "an OWNER node has no franchisee"
                )
            await _check_franchisee(conn, values["owner_account_id"])
        row = await repo.update_node(conn, node_id, values) if values else current
    assert row is not None
    await invalidate(ctx, [node_id])
    return NodeOut.model_validate(row)


async def list_nodes(ctx: AppContext, active_only: bool, limit: int, offset: int) -> list[NodeOut]:
    async with ctx.db.read() as conn:
        rows = await repo.list_nodes(conn, active_only, limit + 1, offset)
    return [NodeOut.model_validate(row) for row in rows]


def _require_node_manager(actor: Actor, node_id: UUID) -> None:
    if not (
        actor.role is AccessRole.OWNER
        or (actor.role is AccessRole.FRANCHISEE and actor.acts_at(node_id))
    ):
        raise ApiError(403, "forbidden", "only the network owner or this node's franchisee may")


async def create_terminal(ctx: AppContext, node_id: UUID, name: str) -> TerminalCreated:
    secret = secrets.token_urlsafe(24)
    async with ctx.db.transaction() as conn:
        if await repo.node(conn, node_id) is None:
            raise _NODE_NOT_FOUND
        row = await repo.insert_terminal(
            conn,
            {
                "id": uuid4(),
                "node_id": node_id,
                "name": name,
                "credential_hash": hash_secret(secret),
            },
        )
    return TerminalCreated(**TerminalOut.model_validate(row).model_dump(), secret=secret)


async def list_terminals(
    ctx: AppContext, actor: Actor, node_id: UUID, limit: int, offset: int
) -> list[TerminalOut]:
    _require_node_manager(actor, node_id)
    async with ctx.db.read() as conn:
        rows = await repo.list_terminals(conn, node_id, limit + 1, offset)
    return [TerminalOut.model_validate(row) for row in rows]


async def set_whitelisted(ctx: AppContext, terminal_id: UUID, value: bool) -> TerminalOut:
    async with ctx.db.transaction() as conn:
        row = await repo.set_whitelisted(conn, terminal_id, value)
    if row is None:
        raise ApiError(404, "terminal_not_found", "no terminal with this id")
    return TerminalOut.model_validate(row)


_STOCK_KEEPERS = frozenset(
    {AccessRole.OWNER, AccessRole.FRANCHISEE, AccessRole.CHEF, AccessRole.TERMINAL}
)


async def set_availability(
    ctx: AppContext, actor: Actor, node_id: UUID, item_id: UUID, portions: int
) -> AvailabilityOut:
    if actor.role not in _STOCK_KEEPERS or not actor.acts_at(node_id):
        raise ApiError(403, "forbidden", "only staff or a terminal of this node may set its stock")
    async with ctx.db.transaction() as conn:
        if await repo.node(conn, node_id) is None:
            raise _NODE_NOT_FOUND
        if not await repo.item_exists(conn, item_id):
            raise ApiError(404, "item_not_found", "no menu item with this id")
        await repo.set_availability(conn, node_id, item_id, portions)
    await invalidate(ctx, [node_id])
    return AvailabilityOut(node_id=node_id, item_id=item_id, portions=portions)
