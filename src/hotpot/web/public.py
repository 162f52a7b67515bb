"""Pages for anyone: the transparency figures, and verifying an order or a receipt."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request
from starlette.responses import Response

from hotpot.domain.errors import DomainError, NotFound, Unavailable
from hotpot.http.context import Ctx
from hotpot.http.problems import status_of
from hotpot.registry import service as registry
from hotpot.settlement import service as settlement
from hotpot.web.common import pages_router
from hotpot.web.session import MaybeWebActor
from hotpot.web.templating import page

router = pages_router()

KINDS = ("order", "receipt")


async def _network(ctx: Ctx) -> tuple[Any, str | None]:
    """The contracts, or why they cannot be shown (not deployed yet, chain unreachable)."""
    try:
        return await settlement.network(ctx), None
    except (NotFound, Unavailable) as exc:
        return None, exc.detail


@router.get("/transparency")
async def transparency(request: Request, ctx: Ctx, actor: MaybeWebActor) -> Response:
    """GET /api/v1/transparency and /api/v1/settlement/network, as a page."""
    figures = await registry.transparency(ctx)
    network, network_problem = await _network(ctx)
    return page(
        request,
        "transparency.html",
        figures=figures,
        network=network,
        network_problem=network_problem,
    )


async def _proof(ctx: Ctx, kinds: tuple[str, ...], ref_id: str) -> Any:
    """The proof of the first kind that has one (an order id and a receipt id never
    collide: both are random UUIDs); NotFound when neither is in a batch yet."""
    for kind in kinds:
        try:
            return await settlement.proof_with_record(ctx, kind, ref_id)
        except NotFound:
            continue
    raise NotFound(
        "not_settled",
        "no settled batch holds this id yet: a completed order or a till sale is pending "
        "until the next settlement batch (or the id is not one of an order or a receipt)",
    )


@router.get("/verify")
async def verify(
    request: Request,
    ctx: Ctx,
    actor: MaybeWebActor,
    id: Annotated[str, Query(max_length=128)] = "",
    kind: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """GET /api/v1/settlement/proofs/{kind}/{id} and its /verify, as a page: settled or
    pending, the batch, the Merkle proof, the transaction, and the check on chain."""
    ref_id = id.strip()
    values: dict[str, Any] = {"ref_id": ref_id, "kind": kind, "proof": None, "error": None}
    values["missing"] = None
    values |= {"check": None, "check_problem": None}
    if not ref_id:
        return page(request, "verify.html", **values)
    kinds = (kind,) if kind in KINDS else KINDS
    try:
        proof = await _proof(ctx, kinds, ref_id)
    except NotFound as exc:
        # A search that found nothing settled yet is an answer, not a broken page: 200.
        return page(request, "verify.html", **{**values, "missing": exc.detail})
    except DomainError as exc:
        return page(
            request, "verify.html", status_code=status_of(exc), **{**values, "error": exc.detail}
        )
    values["proof"] = proof
    if proof.status == "settled":
        try:
            values["check"] = await settlement.verification(ctx, proof.ref_kind, ref_id)
        except Unavailable as exc:
            values["check_problem"] = exc.detail
    return page(request, "verify.html", **values)
