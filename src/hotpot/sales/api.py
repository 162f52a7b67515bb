"""HTTP routes of the sales slice: walk-in sales, receipts, the unclaimed pool."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import Field

from hotpot.http.auth import CurrentActor, OwnerOnly, TillActor
from hotpot.http.context import Ctx
from hotpot.http.pagination import (
    MOMENT_CURSOR_PATTERN,
    Paging,
    keyset_cursor,
    moment_position,
    next_moment_cursor,
)
from hotpot.http.problems import errors
from hotpot.http.schemas import Page, page_from
from hotpot.sales import expiry, pool, receipts, reports, service
from hotpot.sales.qr import qr_png
from hotpot.sales.schemas import (
    ClaimIn,
    ClaimOut,
    DistributionOut,
    ExpiryOut,
    NodeFiguresOut,
    NodeSaleOut,
    PooledReceiptOut,
    PoolOut,
    ReceiptPrintOut,
    SaleIn,
    SaleOut,
)

router = APIRouter(prefix="/api/v1", tags=["sales"], responses=errors(422))


@router.post(
    "/sales",
    status_code=201,
    response_model=SaleOut,
    responses={
        200: {"model": SaleOut, "description": "a retry: the same sale and receipt"},
        201: {"model": SaleOut, "description": "the sale, its receipt and activation code"},
        **errors(401, 403, 404, 409),
    },
)
async def record_sale(body: SaleIn, ctx: Ctx, actor: TillActor, response: Response) -> SaleOut:
    """A POS terminal records a walk-in sale at its own node (terminals only).

    Priced by the server from the menu; mints at once, the buyer's share into custody
    under a receipt. Idempotent per terminal on `terminal_sale_id`.
    """
    recorded = await service.record_sale(ctx, actor, body)
    response.status_code = 201 if recorded.created else 200
    return SaleOut.model_validate(recorded.value)


@router.get(
    "/receipts/{receipt_id}/qr.png",
    response_class=Response,
    responses={
        200: {
            "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
            "description": "the QR code of the receipt's claim link",
        },
        **errors(401, 403, 404),
    },
)
async def receipt_qr(receipt_id: UUID, ctx: Ctx, actor: TillActor) -> Response:
    url = await receipts.receipt_claim_url(ctx, actor, receipt_id)
    return Response(qr_png(url), media_type="image/png", headers={"Cache-Control": "no-store"})


@router.get(
    "/receipts/{receipt_id}/print",
    response_model=ReceiptPrintOut,
    responses=errors(401, 403, 404),
)
async def receipt_print(receipt_id: UUID, ctx: Ctx, actor: TillActor) -> ReceiptPrintOut:
    return ReceiptPrintOut.model_validate(await receipts.receipt_print(ctx, actor, receipt_id))


@router.post(
    "/receipts/{receipt_id}/claim",
    response_model=ClaimOut,
    responses=errors(401, 403, 404, 409, 410, 423, 429),
)
async def claim_receipt(receipt_id: UUID, body: ClaimIn, ctx: Ctx, actor: CurrentActor) -> ClaimOut:
    """A customer claims a receipt with its activation code (403 wrong_code counts a failure;
    the 5th failure answers 423 receipt_locked; 410 once expired)."""
    customer = receipts.claimant(actor)  # refused before it counts against the rate limit
    await ctx.limiter.check("receipt_claims", str(customer), receipts.CLAIMS_PER_MINUTE, 60)
    return ClaimOut.model_validate(await receipts.claim_receipt(ctx, actor, receipt_id, body.code))


@router.post("/receipts/expire", response_model=ExpiryOut, responses=errors(401, 403))
async def expire_receipts(ctx: Ctx, _: OwnerOnly) -> ExpiryOut:
    """Expire every receipt past its deadline: THP to the unclaimed pool, SPOT burned."""
    return ExpiryOut.model_validate(await expiry.expire_receipts(ctx))


@router.get("/pool", response_model=PoolOut)
async def get_pool(ctx: Ctx) -> PoolOut:
    """The unclaimed pool and what custody still holds for live receipts (public)."""
    return PoolOut.model_validate(await pool.pool(ctx))


@router.get("/pool/distributions", response_model=Page[DistributionOut])
async def list_distributions(ctx: Ctx, paging: Paging) -> Page[DistributionOut]:
    found = await pool.list_distributions(ctx, paging.limit, paging.offset)
    return page_from(found, DistributionOut, paging.limit, paging.offset)


class PooledReceiptsPage(Page[PooledReceiptOut]):
    next_cursor: str | None = Field(
        default=None,
        description="pass as `cursor` for the next page (earlier expiries), stable while "
        "receipts expire; null on the last page",
    )


@router.get("/pool/receipts", response_model=PooledReceiptsPage, responses=errors(401, 403))
async def list_pooled_receipts(
    ctx: Ctx,
    _: OwnerOnly,
    paging: Paging,
    cursor: Annotated[str | None, keyset_cursor(MOMENT_CURSOR_PATTERN)] = None,
) -> PooledReceiptsPage:
    """The receipts behind the pool (owner only): EXPIRED, unclaimed to their deadline,
    latest expiry first."""
    before = None if cursor is None else moment_position(cursor)
    found = await pool.pooled_receipts(ctx, paging.limit, paging.offset, before)
    return PooledReceiptsPage(
        **dict(page_from(found, PooledReceiptOut, paging.limit, paging.offset)),
        next_cursor=next_moment_cursor(found, lambda r: (r.expired_at, r.receipt_id)),
    )


@router.post(
    "/pool/distributions",
    status_code=201,
    response_model=DistributionOut,
    responses=errors(401, 403, 409),
)
async def distribute_pool(ctx: Ctx, actor: OwnerOnly) -> DistributionOut:
    """Pay the pool to ST holders pro rata (owner only; once per period, else 409 with
    `distribution_id` of the period's distribution)."""
    return DistributionOut.model_validate(await pool.distribute_pool(ctx, actor))


class NodeSalesPage(Page[NodeSaleOut]):
    next_cursor: str | None = Field(
        default=None,
        description="pass as `cursor` for the next (older) page, stable while sales are "
        "added; null on the last page",
    )
    totals: NodeFiguresOut


@router.get("/nodes/{node_id}/sales", response_model=NodeSalesPage, responses=errors(401, 403, 404))
async def node_sales(
    node_id: UUID,
    ctx: Ctx,
    actor: CurrentActor,
    paging: Paging,
    cursor: Annotated[str | None, keyset_cursor(MOMENT_CURSOR_PATTERN)] = None,
) -> NodeSalesPage:
    """The node's walk-in sales, newest first, with the node's totals (the network owner
    and the node's own franchisee; another franchisee's node is 403)."""
    before = None if cursor is None else moment_position(cursor)
    found = await reports.node_sales(ctx, actor, node_id, paging.limit, paging.offset, before)
    page = page_from(found.sales, NodeSaleOut, paging.limit, paging.offset)
    return NodeSalesPage(
        **dict(page),
        next_cursor=next_moment_cursor(found.sales, lambda s: (s.created_at, s.sale_id)),
        totals=NodeFiguresOut.model_validate(found.figures),
    )
