"""The franchisee's page: their nodes, each one's sales and totals, and the THP they earned."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from starlette.responses import Response

from hotpot.domain.access import AccessRole
from hotpot.domain.errors import NotFound
from hotpot.http.auth import require_roles
from hotpot.http.context import Ctx
from hotpot.http.pagination import MOMENT_CURSOR_PATTERN, moment_position, next_moment_cursor
from hotpot.network import service as network
from hotpot.sales import reports
from hotpot.wallets import service as wallets
from hotpot.web.common import MAX_NODES, pages_router, parse_uuid
from hotpot.web.session import WebActor
from hotpot.web.templating import page

router = pages_router()

_franchisee_only = require_roles(AccessRole.FRANCHISEE)

RECENT_SALES = 5
SALES_PAGE = 50


@router.get("/franchisee")
async def franchisee(request: Request, ctx: Ctx, actor: WebActor) -> Response:
    await _franchisee_only(actor)
    nodes = [
        node
        for node in (await network.list_nodes(ctx, False, MAX_NODES, 0)).items
        if node.id in actor.node_ids
    ]
    views = []
    for node in nodes:
        found = await reports.node_sales(ctx, actor, node.id, RECENT_SALES)
        views.append({"node": node, "sales": found.sales, "figures": found.figures})
    # The wallet's own figure: a franchisee's THP is what their nodes earned them.
    held = await wallets.wallet(ctx, actor)
    return page(request, "franchisee.html", nodes=views, wallet=held)


@router.get("/franchisee/nodes/{node_id}")
async def node_sales(
    node_id: str,
    request: Request,
    ctx: Ctx,
    actor: WebActor,
    cursor: Annotated[str | None, Query(pattern=MOMENT_CURSOR_PATTERN)] = None,
) -> Response:
    """All of one node's sales, newest first, a page at a time (the API's rule decides who)."""
    wanted = parse_uuid(node_id, "restaurant")
    before = None if cursor is None else moment_position(cursor)
    found = await reports.node_sales(ctx, actor, wanted, SALES_PAGE, 0, before)
    nodes = (await network.list_nodes(ctx, False, MAX_NODES, 0)).items
    node = next((n for n in nodes if n.id == wanted), None)
    if node is None:
        raise NotFound("node_not_found", "no restaurant with this id")
    return page(
        request,
        "franchisee_node.html",
        node=node,
        sales=found.sales,
        figures=found.figures,
        older=next_moment_cursor(found.sales, lambda s: (s.created_at, s.sale_id)),
    )
