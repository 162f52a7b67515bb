"""The owner console's network: restaurants (add, edit, close) and their POS terminals
(add, with the secret shown once; whitelist and revoke)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from hotpot.accounts import service as accounts
from hotpot.domain.access import AccessRole, Actor
from hotpot.domain.errors import DomainError, Invalid, NotFound
from hotpot.domain.network import NewTerminal, Node
from hotpot.http.context import Ctx
from hotpot.network import service as network
from hotpot.network.api import change_node
from hotpot.network.schemas import FranchiseNodeIn, NodePatch, OwnerNodeIn, TerminalIn
from hotpot.web.common import (
    MAX_NODES,
    owner_only,
    pages_router,
    parse_uuid,
    refusal,
    typed,
    validated,
)
from hotpot.web.session import Form, WebActor
from hotpot.web.templating import page

router = pages_router()

MAX_TERMINALS = 100
STAFF_PAGE = 100
MAX_STAFF_PAGES = 50


async def all_nodes(ctx: Ctx) -> list[Node]:
    return (await network.list_nodes(ctx, False, MAX_NODES, 0)).items


async def _franchisees(ctx: Ctx) -> list[Any]:
    """Every franchisee account (staff are tens, not thousands: read page by page)."""
    found, offset = [], 0
    for _ in range(MAX_STAFF_PAGES):
        page_of = await accounts.staff_page(ctx, STAFF_PAGE, offset)
        found += [a for a in page_of.items if a.role == AccessRole.FRANCHISEE.value]
        if not page_of.has_more:
            break
        offset += STAFF_PAGE
    return found


async def _nodes_page(
    request: Request,
    ctx: Ctx,
    *,
    error: str | None = None,
    status_code: int = 200,
    values: dict[str, str] | None = None,
) -> Response:
    return page(
        request,
        "owner/nodes.html",
        status_code=status_code,
        nodes=await all_nodes(ctx),
        franchisees=await _franchisees(ctx),
        error=error,
        values=values or {},
    )


@router.get("/owner/nodes")
async def nodes_page(request: Request, ctx: Ctx, actor: WebActor) -> Response:
    await owner_only(actor)
    return await _nodes_page(request, ctx)


def _franchisee(value: str) -> str | None:
    return value or None


@router.post("/owner/nodes")
async def create_node(request: Request, ctx: Ctx, form: Form, actor: WebActor) -> Response:
    await owner_only(actor)
    data: dict[str, Any] = {"name": form.one("name"), "city": form.one("city")}
    try:
        kind = form.one("type")
        if kind == "FRANCHISE":
            owner_account = _franchisee(form.one("owner_account_id"))
            body: OwnerNodeIn | FranchiseNodeIn = validated(
                FranchiseNodeIn, {**data, "type": kind, "owner_account_id": owner_account}
            )
        elif kind == "OWNER":
            body = validated(OwnerNodeIn, {**data, "type": kind})
        else:
            raise Invalid("validation_error", "type: choose run by the network or a franchise")
        node = await network.create_node(ctx, body, accounts.role_of)
    except DomainError as exc:
        values = typed(form)
        return await _nodes_page(request, ctx, **refusal(exc), values=values)
    return RedirectResponse(f"/app/owner/nodes/{node.id}", status_code=303)


async def _node_page(
    request: Request,
    ctx: Ctx,
    actor: Actor,
    node_id: UUID,
    *,
    error: str | None = None,
    status_code: int = 200,
    created: NewTerminal | None = None,
) -> Response:
    node = next((n for n in await all_nodes(ctx) if n.id == node_id), None)
    if node is None:
        raise NotFound("node_not_found", "no node with this id")
    terminals = await network.list_terminals(ctx, actor, node_id, MAX_TERMINALS, 0)
    return page(
        request,
        "owner/node.html",
        status_code=status_code,
        node=node,
        terminals=terminals.items,
        franchisees=await _franchisees(ctx),
        created=created,
        error=error,
    )


@router.get("/owner/nodes/{node_id}")
async def node_page(node_id: str, request: Request, ctx: Ctx, actor: WebActor) -> Response:
    await owner_only(actor)
    return await _node_page(request, ctx, actor, parse_uuid(node_id, "restaurant"))


@router.post("/owner/nodes/{node_id}")
async def edit_node(
    node_id: str, request: Request, ctx: Ctx, form: Form, actor: WebActor
) -> Response:
    """Name, city, open or closed, and (a franchise's) franchisee."""
    await owner_only(actor)
    wanted = parse_uuid(node_id, "restaurant")
    data: dict[str, Any] = {
        "name": form.one("name"),
        "city": form.one("city"),
        "active": form.one("active") == "on",
    }
    if "owner_account_id" in form:
        data["owner_account_id"] = _franchisee(form.one("owner_account_id"))
    try:
        await change_node(ctx, wanted, validated(NodePatch, data))
    except DomainError as exc:
        return await _node_page(request, ctx, actor, wanted, **refusal(exc))
    return RedirectResponse(f"/app/owner/nodes/{wanted}", status_code=303)


@router.post("/owner/nodes/{node_id}/terminals")
async def add_terminal(
    node_id: str, request: Request, ctx: Ctx, form: Form, actor: WebActor
) -> Response:
    """A new terminal, not yet whitelisted; its secret is on this answer only."""
    await owner_only(actor)
    wanted = parse_uuid(node_id, "restaurant")
    try:
        body = validated(TerminalIn, {"name": form.one("name")})
        created = await network.create_terminal(ctx, wanted, body.name)
    except DomainError as exc:
        return await _node_page(request, ctx, actor, wanted, **refusal(exc))
    return await _node_page(request, ctx, actor, wanted, created=created)


@router.post("/owner/terminals/{terminal_id}/whitelist")
async def whitelist(
    terminal_id: str, request: Request, ctx: Ctx, form: Form, actor: WebActor
) -> Response:
    """Whitelist (its sales count, it may sign in) or revoke (refused at once)."""
    await owner_only(actor)
    wanted = form.one("whitelisted")
    if wanted not in ("true", "false"):
        raise Invalid("validation_error", "whitelisted: true or false")
    terminal = await network.set_whitelisted(
        ctx, parse_uuid(terminal_id, "terminal"), wanted == "true"
    )
    return RedirectResponse(f"/app/owner/nodes/{terminal.node_id}", status_code=303)
