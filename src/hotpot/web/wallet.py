"""The wallet page: THP and SPOT with two decimals, role by stake, settled vs pending,
history, and (for a customer) a THP transfer to another customer's address."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import orjson
from fastapi import Query, Request
from starlette.responses import RedirectResponse, Response

from hotpot.domain.access import AccessRole, Actor
from hotpot.domain.errors import DomainError, Invalid
from hotpot.domain.wallets import units_from_text
from hotpot.http.context import Ctx
from hotpot.http.problems import status_of
from hotpot.settlement import service as settlement
from hotpot.wallets import service as wallets
from hotpot.wallets.api import transfer_once
from hotpot.wallets.schemas import TransferIn
from hotpot.web.common import pages_router, validated
from hotpot.web.session import Form, WebActor
from hotpot.web.templating import page

router = pages_router()

HISTORY_LIMIT = 50


async def _wallet_view(ctx: Ctx, actor: Actor) -> dict[str, Any]:
    held = await wallets.wallet(ctx, actor)  # refuses roles that hold no tokens
    split = None
    if actor.role is not AccessRole.OWNER:  # the treasury's address is not an account's
        split = (await settlement.wallet_settlement(ctx, actor.id)).tokens
    history = await wallets.history(ctx, actor, HISTORY_LIMIT, 0)
    return {
        "wallet": held,
        "split": split,
        "history": history.items,
        "can_transfer": actor.role is AccessRole.CUSTOMER,
        # A fresh key with every form shown: submitting it twice transfers once.
        "idempotency_key": uuid.uuid4().hex,
        "recipient": "",
        "amount": "",
        "error": None,
        "sent": None,
    }


@router.get("/wallet")
async def wallet(
    request: Request,
    ctx: Ctx,
    actor: WebActor,
    sent: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    view = await _wallet_view(ctx, actor)
    return page(request, "wallet.html", **{**view, "sent": sent or None})


def _transfer_body(recipient: str, amount: str) -> TransferIn:
    units = units_from_text(amount)
    if units == 0:
        raise Invalid("invalid_amount", "send more than 0 THP")
    try:
        return validated(TransferIn, {"to_address": recipient, "units": units})
    except Invalid as exc:
        if exc.detail.startswith("to_address"):  # the pattern's words mean little to people
            raise Invalid(
                exc.code, "the recipient's address is 0x followed by 40 hexadecimal digits"
            ) from exc
        raise


@router.post("/wallet/transfer")
async def transfer(request: Request, ctx: Ctx, form: Form, actor: WebActor) -> Response:
    """POST /api/v1/transfers from the form, once per the form's Idempotency-Key; a refusal
    (not verified, not enough THP, the 49 % cap, ...) is shown on the wallet in words."""
    wallets.sender_of(actor)  # only customers transfer: 403 in the API's words
    try:
        body = _transfer_body(form.one("recipient"), form.one("amount"))
        _, payload = await transfer_once(ctx, actor, body, form.one("idempotency_key") or None)
    except DomainError as exc:
        view = await _wallet_view(ctx, actor)
        view |= {"recipient": form.one("recipient"), "amount": form.one("amount")}
        return page(
            request, "wallet.html", status_code=status_of(exc), **{**view, "error": exc.detail}
        )
    done = orjson.loads(payload)
    return RedirectResponse(f"/app/wallet?sent={done['transfer_id']}", status_code=303)
