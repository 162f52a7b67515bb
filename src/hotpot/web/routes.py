"""Mounting the pages: /app/ (HTML), /app/static/ (CSS, JS, vendored htmx), and the two
root routes that lead there: `/` (the landing page) and `/claim` (the receipt's QR link)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import RedirectResponse, Response

from hotpot.web import (
    compliance,
    customer,
    franchisee,
    governance,
    kitchen,
    language,
    owner,
    owner_menu,
    owner_network,
    public,
    till,
    wallet,
)
from hotpot.web.errors import HtmlErrorsRoute
from hotpot.web.session import MaybeWebActor
from hotpot.web.templating import STATIC, page

root = APIRouter(route_class=HtmlErrorsRoute, include_in_schema=False)


@root.get("/")
async def landing(request: Request, actor: MaybeWebActor) -> Response:
    return page(request, "landing.html")


@root.get("/claim")
async def claim_link(receipt: Annotated[str, Query(max_length=100)] = "") -> Response:
    """Where a receipt's QR points (`sales.qr.claim_url`): on to the claim page.

    Relative, so it also lands right when PUBLIC_BASE_URL has a path behind a proxy.
    """
    query = f"?{urlencode({'receipt': receipt})}" if receipt else ""
    return RedirectResponse(f"app/claim{query}", status_code=303)


def install(app: FastAPI) -> None:
    app.include_router(root)
    for module in (
        customer,
        franchisee,
        governance,
        kitchen,
        language,
        till,
        wallet,
        compliance,
        public,
        owner,
        owner_menu,
        owner_network,
    ):
        app.include_router(module.router)
    app.mount("/app/static", StaticFiles(directory=STATIC), name="web-static")
