"""HTTP routes of the settlement slice: proofs (public) and the settled/pending split."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Path
from sqlalchemy import select

from hotpot.accounts.tables import accounts
from hotpot.adapters.ipfs import IpfsError
from hotpot.chain.client import ChainError
from hotpot.chain.contracts import Contracts
from hotpot.chain.deploy import current_deployment
from hotpot.http.auth import CurrentActor
from hotpot.http.context import Ctx
from hotpot.http.problems import ApiError, errors
from hotpot.settlement.proofs import proof_for, verify_proof
from hotpot.settlement.relay import chain_client, ipfs_store
from hotpot.settlement.repository import TOKENS, settled_and_pending
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


async def _proof(ctx: Ctx, ref_kind: RefKind, ref_id: str) -> ProofOut:
    proof = await proof_for(ctx.db, ref_kind.value, ref_id)
    if proof is None:
        raise ApiError(404, "not_settled", f"no settlement record for {ref_kind.value} {ref_id}")
    return proof


@router.get(
    "/settlement/proofs/{ref_kind}/{ref_id}", response_model=ProofOut, responses=errors(404)
)
async def get_proof(ctx: Ctx, ref_kind: RefKind, ref_id: RefId) -> ProofOut:
    """Public: the record's CID, the batch root, the Merkle proof and the transaction."""
    return await _proof(ctx, ref_kind, ref_id)


@router.get(
    "/settlement/proofs/{ref_kind}/{ref_id}/verify",
    response_model=VerificationOut,
    responses=errors(404, 503),
)
async def verify(ctx: Ctx, ref_kind: RefKind, ref_id: RefId) -> VerificationOut:
    """Public: check the record and its proof against the root recorded on chain."""
    proof = await proof_for(ctx.db, ref_kind.value, ref_id)
    if proof is None:
        raise ApiError(404, "not_settled", f"no settlement record for {ref_kind.value} {ref_id}")
    try:
        client = chain_client(ctx.settings)
        chain_id = await client.chain_id()
        async with ctx.db.read() as conn:
            deployment = await current_deployment(conn, chain_id)
        if deployment is None:
            raise ApiError(503, "chain_unavailable", "no contracts deployed on the chain")
        result = await verify_proof(
            proof, ipfs_store(ctx.settings), Contracts(client, deployment.addresses)
        )
    except (ChainError, IpfsError) as exc:
        raise ApiError(503, "chain_unavailable", f"cannot verify now: {exc}") from exc
    return VerificationOut(
        valid=result.valid,
        checks=result.checks,
        detail=result.detail,
        proof=proof,
    )


@router.get(
    "/wallets/me/settlement", response_model=SettlementBalancesOut, responses=errors(401, 403)
)
async def my_settlement(ctx: Ctx, actor: CurrentActor) -> SettlementBalancesOut:
    """Per token: units settled on chain and units still pending, for my wallet address."""
    async with ctx.db.read() as conn:
        address = await conn.scalar(
            select(accounts.c.wallet_address).where(accounts.c.id == actor.id)
        )
        split = await settled_and_pending(conn, address) if address else {t: (0, 0) for t in TOKENS}
    return SettlementBalancesOut(
        address=address,
        tokens={t: TokenSettlement(settled=s, pending=p) for t, (s, p) in split.items()},
    )
