"""HTTP routes of the settlement slice: proofs, the network and its contracts, published
blocks by CID (all public), and the settled/pending split."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response

from hotpot.http.auth import CurrentActor
from hotpot.http.context import Ctx
from hotpot.http.problems import errors
from hotpot.settlement import service
from hotpot.settlement.schemas import (
    NetworkOut,
    ProofOut,
    SettlementBalancesOut,
    TokenSettlement,
    VerificationOut,
)

router = APIRouter(prefix="/api/v1", tags=["settlement"], responses=errors(422))
# Gateway paths (`/ipfs/<cid>`), as on any IPFS gateway, so a record's URL reads the same here.
gateway_router = APIRouter(tags=["settlement"], responses=errors(422))


class RefKind(StrEnum):
    ORDER = "order"
    RECEIPT = "receipt"


RefId = Annotated[str, Path(min_length=1, max_length=128)]


@router.get(
    "/settlement/proofs/{ref_kind}/{ref_id}", response_model=ProofOut, responses=errors(404, 503)
)
async def get_proof(ctx: Ctx, ref_kind: RefKind, ref_id: RefId) -> ProofOut:
    """Public: the record and its CID, the leaf, the Merkle proof, the batch root and CID,
    the chain id, the registry and the transaction (docs/verify.md)."""
    return await service.proof_with_record(ctx, ref_kind.value, ref_id)


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


@router.get("/settlement/network", response_model=NetworkOut, responses=errors(404, 503))
async def get_network(ctx: Ctx) -> NetworkOut:
    """Public: the chain id, a public RPC URL when configured, and the live contracts."""
    return await service.network(ctx)


# A CID's bytes never change: caches may keep them for good (what IPFS gateways send).
IMMUTABLE = "public, max-age=29030400, immutable"
RAW_BLOCK = "application/vnd.ipld.raw"
# Multibase alphabets in URLs (base32, base58btc, base36, base16, base64url).
CidPath = Annotated[str, Path(min_length=1, max_length=128, pattern="^[A-Za-z0-9_-]+$")]


@gateway_router.get(
    "/ipfs/{cid}",
    response_class=Response,
    responses={
        200: {
            "description": "the block's bytes (a record or a batch manifest is JSON)",
            "content": {"application/json": {}, RAW_BLOCK: {}, "application/octet-stream": {}},
        },
        304: {"description": "unchanged (If-None-Match named this CID)"},
        **errors(404, 503),
    },
)
async def get_block(
    ctx: Ctx,
    cid: CidPath,
    format: Annotated[str | None, Query(pattern="^raw$")] = None,
    accept: Annotated[str | None, Header()] = None,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Public, read-only: a block the record store holds, by its CID, with gateway
    semantics (`?format=raw` or `Accept: application/vnd.ipld.raw` for the raw block)."""
    data = await service.published_block(ctx, cid)
    etag = f'"{cid}"'
    headers = {
        "Cache-Control": IMMUTABLE,
        "ETag": etag,
        "X-Ipfs-Path": f"/ipfs/{cid}",
        "X-Content-Type-Options": "nosniff",
    }
    if if_none_match is not None and etag in [t.strip() for t in if_none_match.split(",")]:
        return Response(status_code=304, headers=headers)
    raw = format == "raw" or (accept is not None and RAW_BLOCK in accept)
    return Response(data, media_type=RAW_BLOCK if raw else _sniff(data), headers=headers)


def _sniff(data: bytes) -> str:
    """JSON for what parses as JSON (every record and manifest), else plain octets."""
    try:
        json.loads(data)
    except ValueError:
        return "application/octet-stream"
    return "application/json"


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
