"""Compliance's page: the customers waiting for KYC, and setting a customer's status."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode
from uuid import UUID

from fastapi import Query, Request
from starlette.responses import RedirectResponse, Response

from hotpot.domain.access import AccessRole
from hotpot.domain.wallets import KYC_STATUSES, KYC_WAITING
from hotpot.http.auth import require_roles
from hotpot.http.context import Ctx
from hotpot.wallets import service as wallets
from hotpot.wallets.schemas import KycIn
from hotpot.web.common import pages_router, parse_uuid, validated
from hotpot.web.session import Form, WebActor
from hotpot.web.templating import page

router = pages_router()

# The API's own door for the queue and for PUT .../kyc.
_compliance_only = require_roles(AccessRole.COMPLIANCE)

QUEUE_PAGE = 50
# The statuses a queued customer's buttons set, in the order shown.
DECISIONS = ("VERIFIED", "REJECTED", "PENDING")


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True


@router.get("/compliance")
async def queue(
    request: Request,
    ctx: Ctx,
    actor: WebActor,
    status: Annotated[str, Query(max_length=20)] = "",
    cursor: Annotated[str, Query(max_length=100)] = "",
    done: Annotated[str, Query(max_length=100)] = "",
    to: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    await _compliance_only(actor)
    wanted = (status,) if status else KYC_WAITING
    after = parse_uuid(cursor, "customer") if cursor else None
    found = await wallets.kyc_queue(ctx, QUEUE_PAGE, after, wanted)
    next_page = None
    if found.has_more and found.items:
        next_page = "/app/compliance?" + urlencode(
            {**({"status": status} if status else {}), "cursor": str(found.items[-1].id)}
        )
    return page(
        request,
        "compliance.html",
        customers=found.items,
        status=status,
        statuses=KYC_STATUSES,
        waiting=KYC_WAITING,
        decisions=DECISIONS,
        next_page=next_page,
        cursor=cursor,
        # The notice of the last decision, from the redirect: only a well-formed one.
        done=done if to in KYC_STATUSES and _is_uuid(done) else "",
        done_status=to,
    )


@router.post("/compliance/kyc")
async def set_status(request: Request, ctx: Ctx, form: Form, actor: WebActor) -> Response:
    """PUT /api/v1/customers/{id}/kyc from a form: the customer's id and the new status."""
    await _compliance_only(actor)
    customer = parse_uuid(form.one("customer"), "customer")
    body = validated(KycIn, {"status": form.one("status")})
    await wallets.set_kyc(ctx, customer, body.status)
    back = {"done": str(customer), "to": body.status}
    if form.one("status_filter") in KYC_WAITING:
        back["status"] = form.one("status_filter")
    if form.one("cursor"):
        back["cursor"] = form.one("cursor")
    return RedirectResponse("/app/compliance?" + urlencode(back), status_code=303)
