"""The till: a POS terminal signs in with its own credential, records sales, prints receipts."""

from __future__ import annotations

import uuid

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from hotpot.accounts import limits
from hotpot.accounts import service as accounts
from hotpot.accounts.schemas import TerminalLoginIn
from hotpot.domain.errors import DomainError
from hotpot.http.auth import client_address
from hotpot.http.context import Ctx
from hotpot.http.problems import status_of
from hotpot.sales import receipts
from hotpot.sales import service as sales
from hotpot.sales.qr import qr_png
from hotpot.sales.schemas import SaleIn
from hotpot.web import session
from hotpot.web.common import node_menu, node_named, pages_router, parse_uuid, quantities, validated
from hotpot.web.session import Form, TillWebActor
from hotpot.web.templating import PAGE_HEADERS, page

router = pages_router()


@router.get("/till/signin")
async def till_signin_page(request: Request) -> Response:
    return page(request, "till_signin.html", terminal_id="", error=None)


@router.post("/till/signin")
async def till_signin(request: Request, ctx: Ctx, form: Form) -> Response:
    try:
        body = validated(
            TerminalLoginIn,
            {"terminal_id": form.one("terminal_id"), "secret": form.one("secret")},
        )
        # The API's terminal sign-in limits, the same buckets.
        address = client_address(request, ctx.settings.trusted_proxy_hops)
        await limits.check_terminal_login(ctx, body.terminal_id, address)
        tokens = await accounts.terminal_login(ctx, body.terminal_id, body.secret)
    except DomainError as exc:
        return page(
            request,
            "till_signin.html",
            status_code=status_of(exc),
            terminal_id=form.one("terminal_id"),
            error=exc.detail,
        )
    # With its refresh token: the till stays signed in past one access token.
    session.start_session(request, tokens.access_token, tokens.expires_in, tokens.refresh_token)
    response = RedirectResponse("/app/till", status_code=303)
    session.apply_cookies(request, response)
    return response


@router.get("/till")
async def till(request: Request, ctx: Ctx, actor: TillWebActor) -> Response:
    node = await node_named(ctx, sales.terminal_node(actor))
    return page(
        request,
        "till.html",
        node=node,
        items=await node_menu(ctx, node.id),
        # Made on the page, so a resend after a dropped network records the sale once.
        terminal_sale_id=f"web-{uuid.uuid4().hex}",
    )


@router.post("/till/sales")
async def record_sale(request: Request, ctx: Ctx, form: Form, actor: TillWebActor) -> Response:
    node = await node_named(ctx, sales.terminal_node(actor))
    body = validated(
        SaleIn, {"terminal_sale_id": form.one("terminal_sale_id"), "lines": quantities(form)}
    )
    recorded = await sales.record_sale(ctx, actor, body)
    names = {item["id"]: item["name"] for item in await node_menu(ctx, node.id)}
    # Rendered from this answer: the activation code exists only here (the server keeps
    # its hash), so the receipt is printed from this page.
    return page(
        request,
        "receipt.html",
        sale=recorded.value,
        created=recorded.created,
        node=node,
        names=names,
    )


@router.get("/till/receipts/{receipt_id}/qr.png")
async def receipt_qr(receipt_id: str, ctx: Ctx, actor: TillWebActor) -> Response:
    url = await receipts.receipt_claim_url(ctx, actor, parse_uuid(receipt_id, "receipt"))
    headers = {**PAGE_HEADERS, "Cache-Control": "no-store"}
    return Response(qr_png(url), media_type="image/png", headers=headers)
