"""HTTP routes of the wallets slice (and KYC, which decides who may move THP)."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

import orjson
from fastapi import APIRouter, Depends, Header, Query, Response
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.context import AppContext
from hotpot.domain.access import AccessRole, Actor
from hotpot.domain.wallets import KYC_WAITING
from hotpot.http import idempotency
from hotpot.http.auth import CurrentActor, require_roles
from hotpot.http.context import Ctx
from hotpot.http.pagination import Paging, keyset_cursor
from hotpot.http.problems import errors
from hotpot.http.schemas import Page, page_from
from hotpot.wallets import service
from hotpot.wallets.schemas import (
    EntryOut,
    KycCustomerOut,
    KycIn,
    TransferIn,
    TransferOut,
    WalletOut,
)

router = APIRouter(prefix="/api/v1", tags=["wallets"], responses=errors(422))


class HistoryPage(Page[EntryOut]):
    next_cursor: str | None = Field(
        default=None,
        description="pass as `cursor` for the next page (stable while entries are added);"
        " null on the last page",
    )


@router.get("/wallets/me", response_model=WalletOut, responses=errors(401, 403))
async def my_wallet(ctx: Ctx, actor: CurrentActor) -> WalletOut:
    return WalletOut.model_validate(await service.wallet(ctx, actor))


# An entry id (bigint): 18 digits always fit, so any cursor the document admits is served.
CURSOR_PATTERN = r"^[0-9]{1,18}$"


@router.get("/wallets/me/history", response_model=HistoryPage, responses=errors(401, 403))
async def my_history(
    ctx: Ctx,
    actor: CurrentActor,
    paging: Paging,
    cursor: Annotated[str | None, keyset_cursor(CURSOR_PATTERN)] = None,
) -> HistoryPage:
    before = None if cursor is None else int(cursor)
    found = await service.history(ctx, actor, paging.limit, paging.offset, before)
    page = page_from(found, EntryOut, paging.limit, paging.offset)
    last = page.items[-1].id if page.items and found.has_more else None
    return HistoryPage(
        **dict(page),
        next_cursor=None if last is None else str(last),
    )


@router.post(
    "/transfers",
    status_code=201,
    response_class=Response,
    responses={
        201: {"model": TransferOut, "description": "THP moved"},
        **errors(400, 401, 403, 404, 409),
    },
)
async def transfer(
    body: TransferIn,
    ctx: Ctx,
    actor: CurrentActor,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    """THP between two VERIFIED customers; a retry with the same Idempotency-Key gets the
    first answer's bytes again."""
    status, payload = await transfer_once(ctx, actor, body, idempotency_key)
    return Response(payload, status_code=status, media_type="application/json")


async def transfer_once(
    ctx: AppContext, actor: Actor, body: TransferIn, idempotency_key: str | None
) -> tuple[int, bytes]:
    """A transfer made once per Idempotency-Key: this route and the wallet page's form
    (the same fingerprint, so a key means one transfer either way)."""
    service.sender_of(actor)  # refused before a key is claimed

    async def work(conn: AsyncConnection) -> tuple[int, bytes]:
        done = await service.transfer(ctx, conn, actor, body)
        return 201, orjson.dumps(TransferOut.model_validate(done).model_dump(mode="json"))

    return await idempotency.run_once(
        ctx.db,
        scope=str(actor.id),
        key=idempotency_key,
        fingerprint=idempotency.request_fingerprint("POST", "/api/v1/transfers", body.model_dump()),
        in_flight_seconds=ctx.settings.idempotency_in_flight_seconds,
        work=work,
    )


_compliance = Depends(require_roles(AccessRole.COMPLIANCE))


@router.put(
    "/customers/{account_id}/kyc",
    status_code=204,
    response_class=Response,
    responses=errors(401, 403, 404),
)
async def set_kyc(
    account_id: UUID, body: KycIn, ctx: Ctx, _: Annotated[Actor, _compliance]
) -> Response:
    await service.set_kyc(ctx, account_id, body.status)
    return Response(status_code=204)


class KycQueuePage(Page[KycCustomerOut]):
    next_cursor: str | None = Field(
        default=None,
        description="pass as `cursor` for the next page (stable while customers are"
        " decided or register); null on the last page",
    )


@router.get("/kyc/queue", response_model=KycQueuePage, responses=errors(401, 403))
async def kyc_queue(
    ctx: Ctx,
    _: Annotated[Actor, _compliance],
    paging: Paging,
    status: Annotated[
        Literal["PENDING", "NOT_STARTED"] | None,
        Query(description="only this status; both when left out"),
    ] = None,
    cursor: Annotated[
        UUID | None,
        Query(
            description="next_cursor of the previous page (keyset paging); with `offset`,"
            " that many customers after the cursor are skipped"
        ),
    ] = None,
) -> KycQueuePage:
    """Customers waiting for a KYC decision (PENDING, NOT_STARTED), longest waiting first,
    with their contact details: for compliance, who sets the status (`PUT .../kyc`)."""
    found = await service.kyc_queue(
        ctx, paging.limit, cursor, (status,) if status else KYC_WAITING, paging.offset
    )
    page = page_from(found, KycCustomerOut, paging.limit, paging.offset)
    last = page.items[-1].id if page.items and found.has_more else None
    return KycQueuePage(**dict(page), next_cursor=None if last is None else str(last))
