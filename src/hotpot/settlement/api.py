"""HTTP routes of the settlement slice: proofs (public) and the settled/pending split."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Path

from hotpot.http.auth import CurrentActor
from hotpot.http.context import Ctx
from hotpot.http.problems import errors
from hotpot.settlement import service
from hotpot.settlement.schemas import (
    ProofOut,
    SettlementBalancesOut,
    TokenSettlement,
    VerificationOut,
)

router = APIRouter(prefix="/api/v1", tags=["settlement"], responses=errors(422))


class RefKind(StrEnum):
    ORDER = "order"
    RECEIPT = "receipt"


RefId = Annotated[str, Path(min_length=1, max_length=128)]


@router.get(
    "/settlement/proofs/{ref_kind}/{ref_id}", response_model=ProofOut, responses=errors(404)
)
async def get_proof(ctx: Ctx, ref_kind: RefKind, ref_id: RefId) -> ProofOut:
    """Public: the record's CID, the batch root, the Merkle proof and the transaction."""
    return await service.proof(ctx, ref_kind.value, ref_id)


@router.get(
    "/settlement/proofs/{ref_kind}/{ref_id}/verify",
    response_model=VerificationOut,
    responses=errors(404, 503),
)
async def verify(ctx: Ctx, ref_kind: RefKind, ref_id: RefId) -> VerificationOut:
    """Public: check the record and its proof against the root recorded on chain."""
    result = await service.verification(ctx, ref_kind.value, ref_id)
    return VerificationOut(
        valid=result.valid, checks=result.checks, detail=result.detail, proof=result.proof
    )


@router.get(
    "/wallets/me/settlement", response_model=SettlementBalancesOut, responses=errors(401, 403)
)
async def my_settlement(ctx: Ctx, actor: CurrentActor) -> SettlementBalancesOut:
    """Per token: units settled on chain and units still pending, for my wallet address."""
    found = await service.wallet_settlement(ctx, actor.id)
    return SettlementBalancesOut(
        address=found.address,
        tokens={t: TokenSettlement(settled=s, pending=p) for t, (s, p) in found.tokens.items()},
    )
