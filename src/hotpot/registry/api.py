"""HTTP routes of the registry slice."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from hotpot.domain.access import AccessRole, Actor
from hotpot.http.auth import require_roles
from hotpot.http.context import Ctx
from hotpot.http.problems import errors
from hotpot.registry import service
from hotpot.registry.schemas import HolderRow, TransparencyOut

router = APIRouter(prefix="/api/v1", tags=["registry"], responses=errors(422))

# KYC status per address is not for everyone: the register is for the owner and compliance.
_register_readers = Depends(require_roles(AccessRole.OWNER, AccessRole.COMPLIANCE))


@router.get(
    "/registry/holders",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "every holder with a balance, streamed",
            "content": {
                "application/json": {
                    "schema": {"type": "array", "items": HolderRow.model_json_schema()}
                },
                "text/csv": {"schema": {"type": "string"}},
            },
        },
        **errors(401, 403),
    },
)
async def holders_register(
    ctx: Ctx,
    _: Annotated[Actor, _register_readers],
    format: Annotated[Literal["csv", "json"], Query()] = "json",
) -> StreamingResponse:
    if format == "csv":
        return StreamingResponse(
            service.holders_csv(ctx),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="holders.csv"'},
        )
    return StreamingResponse(service.holders_json(ctx), media_type="application/json")


@router.get("/transparency", response_model=TransparencyOut)
async def transparency(ctx: Ctx) -> TransparencyOut:
    """Public figures: supplies, sales per node, the charity fund and the unclaimed pool."""
    return TransparencyOut.model_validate(await service.transparency(ctx))
