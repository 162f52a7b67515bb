"""Network: nodes, their POS terminals, the whitelist, and terminal sign-in.

Accounts read nodes (a franchisee's token names their nodes), so this slice does not
import accounts: where a node names its franchisee, the caller hands in `RoleOf`, the
accounts slice's way to read an account's role. Portions per node are the menu's.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import fields
from typing import TypeVar
from uuid import UUID, uuid4

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.context import AppContext
from hotpot.domain.access import AccessRole, Actor
from hotpot.domain.accounts import Tokens
from hotpot.domain.errors import Forbidden, Invalid, NotFound, Unauthenticated
from hotpot.domain.network import NewTerminal, Node, Terminal
from hotpot.domain.results import Slice
from hotpot.network import repository as repo
from hotpot.network.schemas import FranchiseNodeIn, NodePatch, OwnerNodeIn
from hotpot.security.tokens import Claims, issue_access_token

RoleOf = Callable[[AsyncConnection, UUID], Awaitable[str | None]]
V = TypeVar("V", Node, Terminal)


def _node_not_found() -> NotFound:
    return NotFound("node_not_found", "no node with this id")


def _value(kind: type[V], row: RowMapping) -> V:
    """A node or terminal from its row: each field is the column of the same name."""
    return kind(**{field.name: row[field.name] for field in fields(kind)})


async def _check_franchisee(
    conn: AsyncConnection, role_of: RoleOf, account_id: UUID | None
) -> None:
    if account_id is None:
        return
    role = await role_of(conn, account_id)
    if role is None:
        raise NotFound("account_not_found", "no account with this owner_account_id")
    if role != AccessRole.FRANCHISEE.value:
        raise Invalid("not_a_franchisee", "owner_account_id must name a franchisee account")


async def create_node(
    ctx: AppContext, data: OwnerNodeIn | FranchiseNodeIn, role_of: RoleOf
) -> Node:
    async with ctx.db.transaction() as conn:
        if isinstance(data, FranchiseNodeIn):
            await _check_franchisee(conn, role_of, data.owner_account_id)
        row = await repo.insert_node(conn, {"id": uuid4(), **data.model_dump()})
    return _value(Node, row)


async def update_node(ctx: AppContext, node_id: UUID, data: NodePatch, role_of: RoleOf) -> Node:
    """Change a node; its cached menu is the caller's to forget (the menu reads nodes)."""
    values = data.model_dump(exclude_unset=True)
    async with ctx.db.transaction() as conn:
        current = await repo.node(conn, node_id)
        if current is None:
            raise _node_not_found()
        if "owner_account_id" in values:
            if current["type"] == "OWNER" and values["owner_account_id"] is not None:
                raise Invalid("owner_node_has_no_franchisee", "an OWNER node has no franchisee")
            await _check_franchisee(conn, role_of, values["owner_account_id"])
        row = await repo.update_node(conn, node_id, values) if values else current
    assert row is not None
    return _value(Node, row)


async def any_node(ctx: AppContext) -> bool:
    """Whether the network has a node yet (the demo seed runs on an empty one)."""
    async with ctx.db.read() as conn:
        return await repo.any_node(conn)


async def list_nodes(ctx: AppContext, active_only: bool, limit: int, offset: int) -> Slice[Node]:
    async with ctx.db.read() as conn:
        rows = await repo.list_nodes(conn, active_only, limit + 1, offset)
    return Slice([_value(Node, row) for row in rows[:limit]], len(rows) > limit)


def require_node_manager(actor: Actor, node_id: UUID) -> None:
    """The network owner, or the franchisee of this node (its terminals, its sales)."""
    if not (
        actor.role is AccessRole.OWNER
        or (actor.role is AccessRole.FRANCHISEE and actor.acts_at(node_id))
    ):
        raise Forbidden("forbidden", "only the network owner or this node's franchisee may")


async def create_terminal(ctx: AppContext, node_id: UUID, name: str) -> NewTerminal:
    secret = secrets.token_urlsafe(24)
    async with ctx.db.transaction() as conn:
        if await repo.node(conn, node_id) is None:
            raise _node_not_found()
        row = await repo.insert_terminal(
            conn,
            {
                "id": uuid4(),
                "node_id": node_id,
                "name": name,
                "credential_hash": ctx.passwords.hash(secret),
            },
        )
    terminal = _value(Terminal, row)
    return NewTerminal(**vars(terminal), secret=secret)


async def list_terminals(
    ctx: AppContext, actor: Actor, node_id: UUID, limit: int, offset: int
) -> Slice[Terminal]:
    require_node_manager(actor, node_id)
    async with ctx.db.read() as conn:
        rows = await repo.list_terminals(conn, node_id, limit + 1, offset)
    return Slice([_value(Terminal, row) for row in rows[:limit]], len(rows) > limit)


async def set_whitelisted(ctx: AppContext, terminal_id: UUID, value: bool) -> Terminal:
    async with ctx.db.transaction() as conn:
        row = await repo.set_whitelisted(conn, terminal_id, value)
    if row is None:
        raise NotFound("terminal_not_found", "no terminal with this id")
    return _value(Terminal, row)


def _not_whitelisted() -> Forbidden:
    return Forbidden("terminal_not_whitelisted", "this terminal is not whitelisted")


async def terminal_login(ctx: AppContext, terminal_id: UUID, secret: str) -> Tokens:
    async with ctx.db.read() as conn:
        row = await repo.terminal(conn, terminal_id)
    if not ctx.passwords.verify(row["credential_hash"] if row else None, secret) or row is None:
        raise Unauthenticated("invalid_credentials", "the terminal id or secret is wrong")
    if not row["whitelisted"]:
        raise _not_whitelisted()
    ttl = ctx.settings.access_token_ttl_seconds
    claims = Claims(subject=row["id"], role=AccessRole.TERMINAL.value, node_ids=(row["node_id"],))
    return Tokens(
        access_token=issue_access_token(ctx.settings.effective_jwt_secret, claims, ttl),
        expires_in=ttl,
    )


async def require_whitelisted(ctx: AppContext, terminal_id: UUID) -> None:
    """A terminal removed from the whitelist loses access at once, not at token expiry."""
    async with ctx.db.read() as conn:
        whitelisted = await repo.terminal_whitelisted(conn, terminal_id)
    if not whitelisted:
        raise _not_whitelisted()
