"""The customer's pages: restaurants, menu, cart, order and its live status, sign-in, claim."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import orjson
from fastapi import Query, Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from hotpot.accounts import limits
from hotpot.accounts import service as accounts
from hotpot.accounts.schemas import LoginIn, RegisterIn
from hotpot.domain.access import AccessRole
from hotpot.domain.accounts import Tokens
from hotpot.domain.errors import DomainError, Invalid
from hotpot.domain.orders import OrderStatus
from hotpot.http.auth import client_address, require_roles
from hotpot.http.context import Ctx
from hotpot.http.problems import status_of
from hotpot.orders import service as orders
from hotpot.orders.api import place_once
from hotpot.orders.schemas import OrderIn
from hotpot.sales import receipts
from hotpot.sales.schemas import ClaimIn
from hotpot.web import session
from hotpot.web.common import (
    active_nodes,
    node_menu,
    node_named,
    pages_router,
    parse_uuid,
    quantities,
    validated,
)
from hotpot.web.i18n import N_
from hotpot.web.session import Form, MaybeWebActor, WebActor
from hotpot.web.templating import PAGE_HEADERS, page

router = pages_router()

FINAL = frozenset({OrderStatus.COMPLETED, OrderStatus.CANCELLED})
ORDER_LIST_LIMIT = 50

_customer_only = require_roles(AccessRole.CUSTOMER)


def _landing_for(role: AccessRole) -> str:
    return {
        AccessRole.CHEF: "/app/kitchen",
        AccessRole.CASHIER: "/app/kitchen",
        AccessRole.FRANCHISEE: "/app/franchisee",
        AccessRole.TERMINAL: "/app/till",
        AccessRole.OWNER: "/app/owner",
        AccessRole.COMPLIANCE: "/app/compliance",
    }.get(role, "/app/")


@router.get("/")
async def home(request: Request, ctx: Ctx, actor: MaybeWebActor) -> Response:
    return page(request, "home.html", nodes=await active_nodes(ctx))


@router.get("/nodes/{node_id}/menu")
async def node_menu_page(
    node_id: str, request: Request, ctx: Ctx, actor: MaybeWebActor
) -> Response:
    node = await node_named(ctx, parse_uuid(node_id, "restaurant"))
    return page(request, "menu.html", node=node, items=await node_menu(ctx, node.id))


def _cart(items: list[dict[str, Any]], wanted: list[dict[str, Any]]) -> tuple[list[Any], int]:
    by_id = {item["id"]: item for item in items}
    lines = []
    for line in wanted:
        item = by_id.get(line["item_id"])
        if item is None:
            continue  # the service refuses it by name when the order is placed
        total = item["price_tetri"] * line["quantity"]
        lines.append({"item": item, "quantity": line["quantity"], "total_tetri": total})
    return lines, sum(line["total_tetri"] for line in lines)


@router.post("/nodes/{node_id}/cart")
async def cart(
    node_id: str, request: Request, ctx: Ctx, form: Form, actor: MaybeWebActor
) -> Response:
    """Review before ordering: the server prices it; the order form carries a fresh key."""
    node = await node_named(ctx, parse_uuid(node_id, "restaurant"))
    wanted = quantities(form)
    lines, total = _cart(await node_menu(ctx, node.id), wanted)
    return page(
        request,
        "cart.html",
        node=node,
        lines=lines,
        total_tetri=total,
        idempotency_key=uuid.uuid4().hex,
    )


@router.post("/orders")
async def place_order(request: Request, ctx: Ctx, form: Form, actor: WebActor) -> Response:
    """The API's order creation, Idempotency-Key from the form: a double tap orders once."""
    await _customer_only(actor)
    body = validated(OrderIn, {"node_id": form.one("node_id"), "lines": quantities(form)})
    _, payload = await place_once(ctx, actor, body, form.one("idempotency_key"))
    order_id = orjson.loads(payload)["id"]
    return RedirectResponse(f"/app/orders/{order_id}", status_code=303)


@router.get("/orders")
async def my_orders(request: Request, ctx: Ctx, actor: WebActor) -> Response:
    await _customer_only(actor)
    found = await orders.list_orders(ctx, actor, None, None, ORDER_LIST_LIMIT, 0)
    return page(request, "orders.html", orders=found.items)


async def _order_view(ctx: Ctx, actor: Any, order_id: str) -> dict[str, Any]:
    order = await orders.get_order(ctx, actor, parse_uuid(order_id, "order"))
    names = {item["id"]: item["name"] for item in await node_menu(ctx, order.node_id)}
    return {"order": order, "names": names, "final": order.status in FINAL}


@router.get("/orders/{order_id}")
async def order_page(order_id: str, request: Request, ctx: Ctx, actor: WebActor) -> Response:
    await _customer_only(actor)  # staff follow orders on the kitchen display
    return page(request, "order.html", **await _order_view(ctx, actor, order_id))


@router.get("/orders/{order_id}/status")
async def order_status(order_id: str, request: Request, ctx: Ctx, actor: WebActor) -> Response:
    """The fragment the order page polls (every second until the order is final)."""
    await _customer_only(actor)
    return page(request, "fragments/order_status.html", **await _order_view(ctx, actor, order_id))


@router.post("/orders/{order_id}/cancel")
async def cancel_order(
    order_id: str, request: Request, ctx: Ctx, form: Form, actor: WebActor
) -> Response:
    await _customer_only(actor)  # staff cancel on the kitchen display, with a reason
    order = await orders.transition(
        ctx, actor, parse_uuid(order_id, "order"), OrderStatus.CANCELLED, None
    )
    return RedirectResponse(f"/app/orders/{order.id}", status_code=303)


# --- signing in and out -------------------------------------------------------------


@router.get("/signin")
async def signin_page(
    request: Request, next: Annotated[str, Query(max_length=500)] = ""
) -> Response:
    # No `next`: after signing in, each role lands on its own page (kitchen, till, ...).
    wanted = session.safe_next(next) if next else ""
    return page(request, "signin.html", next=wanted, login="", error=None)


def _signed_in(request: Request, tokens: Tokens, target: str) -> Response:
    session.start_session(request, tokens.access_token, tokens.expires_in, tokens.refresh_token)
    response = RedirectResponse(target, status_code=303)
    session.apply_cookies(request, response)
    return response


@router.post("/signin")
async def signin(request: Request, ctx: Ctx, form: Form) -> Response:
    try:
        body = validated(LoginIn, {"login": form.one("login"), "password": form.one("password")})
        address = client_address(request, ctx.settings.trusted_proxy_hops)
        await limits.check_password_login(ctx, body.login, address)
        tokens = await accounts.login(ctx, body.login, body.password)
    except DomainError as exc:
        return page(
            request,
            "signin.html",
            status_code=status_of(exc),
            next=session.safe_next(form.one("next")) if form.one("next") else "",
            login=form.one("login"),
            error=exc.detail,
        )
    actor = await session.actor_from_token(ctx, tokens.access_token)
    wanted = form.one("next")
    target = session.safe_next(wanted) if wanted else _landing_for(actor.role)
    return _signed_in(request, tokens, target)


@router.post("/signin/ethereum/message")
async def siwe_message(request: Request, ctx: Ctx, form: Form) -> Response:
    """The EIP-4361 text the page's script asks the wallet to sign (`static/siwe.js`): the
    accounts service builds it with a fresh nonce, as `GET /auth/siwe/nonce` would give."""
    try:
        address = client_address(request, ctx.settings.trusted_proxy_hops)
        await limits.check_siwe_nonce(ctx, address)
        message = await accounts.siwe_message(ctx, form.one("address"))
    except DomainError as exc:
        return PlainTextResponse(exc.detail, status_code=status_of(exc), headers=PAGE_HEADERS)
    return PlainTextResponse(message, headers=PAGE_HEADERS)


@router.post("/signin/ethereum")
async def siwe_signin(request: Request, ctx: Ctx, form: Form) -> Response:
    """Sign in with Ethereum: the API's verification (signature, domain, chain, expiry,
    one-use nonce) and its rate limit, then the session cookies as a password sign-in."""
    wanted = session.safe_next(form.one("next")) if form.one("next") else ""
    try:
        address = client_address(request, ctx.settings.trusted_proxy_hops)
        await limits.check_siwe_login(ctx, address)
        # A form's newlines arrive as CRLF (HTML's form encoding); EIP-4361 signs LF.
        message = form.one("message").replace("\r\n", "\n")
        signature = form.one("signature")
        if not message or not signature:
            raise Invalid("validation_error", N_("the wallet sent no signed message: try again"))
        tokens = await accounts.siwe_login(ctx, message, signature)
    except DomainError as exc:
        return page(
            request,
            "signin.html",
            status_code=status_of(exc),
            next=wanted,
            login="",
            error=exc.detail,
        )
    actor = await session.actor_from_token(ctx, tokens.access_token)
    return _signed_in(request, tokens, wanted or _landing_for(actor.role))


@router.get("/signup")
async def signup_page(
    request: Request, next: Annotated[str, Query(max_length=500)] = "/app/"
) -> Response:
    return page(request, "signup.html", next=session.safe_next(next), login="", error=None)


@router.post("/signup")
async def signup(request: Request, ctx: Ctx, form: Form) -> Response:
    login_name = form.one("login")
    identity = {"email": login_name} if "@" in login_name else {"phone": login_name}
    data: dict[str, Any] = {**identity, "password": form.one("password")}
    if form.one("name"):
        data["name"] = form.one("name")
    try:
        body = validated(RegisterIn, data)
        await ctx.limiter.check(
            "register",
            client_address(request, ctx.settings.trusted_proxy_hops),
            ctx.settings.rate_limit_register_per_hour,
            3600,
        )
        await accounts.register_customer(ctx, body)
        tokens = await accounts.login(ctx, login_name, body.password)
    except DomainError as exc:
        return page(
            request,
            "signup.html",
            status_code=status_of(exc),
            next=session.safe_next(form.one("next")),
            login=login_name,
            error=exc.detail,
        )
    return _signed_in(request, tokens, session.safe_next(form.one("next")))


@router.post("/signout")
async def signout(request: Request, ctx: Ctx, form: Form) -> Response:
    refresh = request.cookies.get(session.REFRESH_COOKIE)
    if refresh:
        await accounts.logout(ctx, refresh)  # the refresh token stops working too
    session.end_session(request)
    response = RedirectResponse("/app/", status_code=303)
    session.apply_cookies(request, response)
    return response


# --- claiming a till receipt ---------------------------------------------------------


@router.get("/claim")
async def claim_page(
    request: Request,
    actor: WebActor,
    receipt: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """The receipt's QR opens this page (through /claim) with the receipt id filled in."""
    receipts.claimant(actor)
    return page(request, "claim.html", receipt=receipt, claimed=None, error=None)


@router.post("/claim")
async def claim(request: Request, ctx: Ctx, form: Form, actor: WebActor) -> Response:
    customer = receipts.claimant(actor)
    try:
        receipt_id = parse_uuid(form.one("receipt"), "receipt")
        body = validated(ClaimIn, {"code": form.one("code")})
        await ctx.limiter.check("receipt_claims", str(customer), receipts.CLAIMS_PER_MINUTE, 60)
        claimed = await receipts.claim_receipt(ctx, actor, receipt_id, body.code)
    except DomainError as exc:
        return page(
            request,
            "claim.html",
            status_code=status_of(exc),
            receipt=form.one("receipt"),
            claimed=None,
            error=exc.detail,
        )
    return page(request, "claim.html", receipt=str(receipt_id), claimed=claimed, error=None)
