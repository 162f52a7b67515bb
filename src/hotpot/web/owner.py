"""The owner console: its landing, staff accounts, the unclaimed pool (the receipts behind
it, expiry, distribution) and the holders register as CSV. Menu and network pages are in
`owner_menu` and `owner_network`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request
from starlette.responses import RedirectResponse, Response

from hotpot.accounts import service as accounts
from hotpot.accounts.schemas import NodeStaffIn, OfficeStaffIn
from hotpot.domain.access import AccessRole
from hotpot.domain.distribution import Distribution
from hotpot.domain.errors import DomainError, Invalid
from hotpot.domain.receipts import ExpirySweep
from hotpot.http.auth import require_roles
from hotpot.http.context import Ctx
from hotpot.http.pagination import MOMENT_CURSOR_PATTERN, moment_position, next_moment_cursor
from hotpot.registry.api import holders_register
from hotpot.sales import expiry, pool
from hotpot.web.common import PageOffset, owner_only, pages_router, refusal, typed, validated
from hotpot.web.owner_network import all_nodes
from hotpot.web.session import Form, WebActor
from hotpot.web.templating import page

router = pages_router()

STAFF_PER_PAGE = 50
RECEIPTS_PER_PAGE = 20
DISTRIBUTIONS_SHOWN = 20
NODE_ROLES = ("chef", "cashier")
OFFICE_ROLES = ("owner", "franchisee", "compliance")

# Who may download the register: the API's readers of it (KYC status per address).
_register_readers = require_roles(AccessRole.OWNER, AccessRole.COMPLIANCE)


@router.get("/owner")
async def console(request: Request, ctx: Ctx, actor: WebActor) -> Response:
    await owner_only(actor)
    return page(request, "owner/index.html", pool=await pool.pool(ctx))


# --- staff --------------------------------------------------------------------------


async def _staff_page(
    request: Request,
    ctx: Ctx,
    offset: int = 0,
    *,
    error: str | None = None,
    status_code: int = 200,
    values: dict[str, str] | None = None,
) -> Response:
    found = await accounts.staff_page(ctx, STAFF_PER_PAGE, offset)
    nodes = await all_nodes(ctx)
    return page(
        request,
        "owner/staff.html",
        status_code=status_code,
        staff=found.items,
        offset=offset,
        next_offset=offset + STAFF_PER_PAGE if found.has_more else None,
        nodes=nodes,
        node_names={node.id: node.name for node in nodes},
        roles=OFFICE_ROLES + NODE_ROLES,
        node_roles=NODE_ROLES,
        error=error,
        values=values or {},
    )


@router.get("/owner/staff")
async def staff_page(
    request: Request,
    ctx: Ctx,
    actor: WebActor,
    offset: PageOffset = 0,
) -> Response:
    await owner_only(actor)
    return await _staff_page(request, ctx, offset)


@router.post("/owner/staff")
async def create_staff(request: Request, ctx: Ctx, form: Form, actor: WebActor) -> Response:
    await owner_only(actor)
    role = form.one("role")
    data: dict[str, Any] = {
        "email": form.one("email"),
        "password": form.one("password"),
        "role": role,
    }
    if form.one("name"):
        data["name"] = form.one("name")
    try:
        if role in NODE_ROLES:
            if not form.one("node_id"):
                raise Invalid("validation_error", f"restaurant: a {role} works at one; choose it")
            body: OfficeStaffIn | NodeStaffIn = validated(
                NodeStaffIn, {**data, "node_id": form.one("node_id")}
            )
        elif role in OFFICE_ROLES:
            body = validated(OfficeStaffIn, data)
        else:
            raise Invalid("validation_error", "role: choose one of the staff roles")
        await accounts.create_staff(ctx, body)
    except DomainError as exc:
        # The password is never sent back into the page.
        values = typed(form, "password")
        return await _staff_page(request, ctx, **refusal(exc), values=values)
    return RedirectResponse("/app/owner/staff", status_code=303)


# --- the unclaimed pool -------------------------------------------------------------


async def _pool_page(
    request: Request,
    ctx: Ctx,
    cursor: str | None = None,
    *,
    error: str | None = None,
    status_code: int = 200,
    swept: ExpirySweep | None = None,
    distributed: Distribution | None = None,
) -> Response:
    """The pool, with what an action just did (an expiry sweep, a distribution) above it."""
    before = None if cursor is None else moment_position(cursor)
    behind = await pool.pooled_receipts(ctx, RECEIPTS_PER_PAGE, 0, before)
    distributions = await pool.list_distributions(ctx, DISTRIBUTIONS_SHOWN, 0)
    return page(
        request,
        "owner/pool.html",
        status_code=status_code,
        pool=await pool.pool(ctx),
        distributions=distributions.items,
        receipts=behind.items,
        next_cursor=next_moment_cursor(behind, lambda r: (r.expired_at, r.receipt_id)),
        paged=cursor is not None,
        node_names={node.id: node.name for node in await all_nodes(ctx)},
        error=error,
        swept=swept,
        distributed=distributed,
    )


@router.get("/owner/pool")
async def pool_page(
    request: Request,
    ctx: Ctx,
    actor: WebActor,
    cursor: Annotated[str | None, Query(pattern=MOMENT_CURSOR_PATTERN)] = None,
) -> Response:
    await owner_only(actor)
    return await _pool_page(request, ctx, cursor)


@router.post("/owner/pool/expire")
async def expire_now(request: Request, ctx: Ctx, form: Form, actor: WebActor) -> Response:
    """The expiry sweep `hotpot receipts expire` runs daily, at once."""
    await owner_only(actor)
    return await _pool_page(request, ctx, swept=await expiry.expire_receipts(ctx))


@router.post("/owner/pool/distribute")
async def distribute(request: Request, ctx: Ctx, form: Form, actor: WebActor) -> Response:
    """Pay the pool to the customers; when it is not due, the service's refusal in words."""
    owner = await owner_only(actor)
    try:
        done = await pool.distribute_pool(ctx, owner)
    except DomainError as exc:
        return await _pool_page(request, ctx, **refusal(exc))
    return await _pool_page(request, ctx, distributed=done)


# --- the holders register -----------------------------------------------------------


@router.get("/registry/holders.csv")
async def holders_csv(request: Request, ctx: Ctx, actor: WebActor) -> Response:
    """The API's own CSV download of the register, streamed (owner and compliance)."""
    reader = await _register_readers(actor)
    return await holders_register(ctx, reader, format="csv")
