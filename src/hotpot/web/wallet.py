"""The wallet page: THP and SPOT with two decimals, role by stake, settled vs pending, history."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from hotpot.domain.access import AccessRole
from hotpot.http.context import Ctx
from hotpot.settlement import service as settlement
from hotpot.wallets import service as wallets
from hotpot.web.common import pages_router
from hotpot.web.session import WebActor
from hotpot.web.templating import page

router = pages_router()

HISTORY_LIMIT = 50


@router.get("/wallet")
async def wallet(request: Request, ctx: Ctx, actor: WebActor) -> Response:
    held = await wallets.wallet(ctx, actor)  # refuses roles that hold no tokens
    split = None
    if actor.role is not AccessRole.OWNER:  # the treasury's address is not an account's
        split = (await settlement.wallet_settlement(ctx, actor.id)).tokens
    history = await wallets.history(ctx, actor, HISTORY_LIMIT, 0)
    return page(request, "wallet.html", wallet=held, split=split, history=history.items)
