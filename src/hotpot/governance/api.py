"""HTTP routes of the governance slice: domain values in, response models out."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Query

from hotpot.domain.governance import ProposalKind, ProposalStatus
from hotpot.governance import outcome, proposals, voting
from hotpot.governance.schemas import (
    DishProposalIn,
    NetworkProposalIn,
    ProposalOut,
    VoteIn,
    VoteOut,
    VoteProofOut,
)
from hotpot.http.auth import CurrentActor, OwnerOnly
from hotpot.http.clock import ClockDep
from hotpot.http.context import Ctx
from hotpot.http.pagination import Paging
from hotpot.http.problems import errors
from hotpot.http.schemas import Page, page_from

router = APIRouter(prefix="/api/v1/governance", tags=["governance"], responses=errors(422))


@router.post(
    "/dish-proposals",
    status_code=201,
    response_model=ProposalOut,
    responses=errors(401, 403),
    summary="propose a dish (the network owner or a BigStack holder)",
)
async def propose_dish(body: DishProposalIn, ctx: Ctx, actor: CurrentActor) -> ProposalOut:
    return ProposalOut.model_validate(await proposals.propose_dish(ctx, actor, body))


@router.post(
    "/proposals",
    status_code=201,
    response_model=ProposalOut,
    responses=errors(401, 403, 409),
    summary="make a network proposal (needs 10 SPOT); its vote opens at once",
)
async def propose(
    body: Annotated[NetworkProposalIn, Body()],
    ctx: Ctx,
    clock: ClockDep,
    actor: CurrentActor,
) -> ProposalOut:
    return ProposalOut.model_validate(await proposals.propose_network(ctx, clock, actor, body))


@router.get("/proposals", response_model=Page[ProposalOut])
async def list_proposals(
    ctx: Ctx,
    clock: ClockDep,
    paging: Paging,
    status: Annotated[ProposalStatus | None, Query()] = None,
    kind: Annotated[ProposalKind | None, Query()] = None,
) -> Page[ProposalOut]:
    found = await proposals.list_proposals(ctx, clock, status, kind, paging.limit, paging.offset)
    return page_from(found, ProposalOut, paging.limit, paging.offset)


@router.get("/proposals/{proposal_id}", response_model=ProposalOut, responses=errors(404))
async def get_proposal(proposal_id: UUID, ctx: Ctx, clock: ClockDep) -> ProposalOut:
    return ProposalOut.model_validate(await proposals.get_proposal(ctx, clock, proposal_id))


@router.post(
    "/proposals/{proposal_id}/open",
    response_model=ProposalOut,
    responses=errors(401, 403, 404),
    summary="open a dish vote and take the SPOT snapshot (owner; a retry is harmless)",
)
async def open_proposal(proposal_id: UUID, ctx: Ctx, clock: ClockDep, _: OwnerOnly) -> ProposalOut:
    return ProposalOut.model_validate(await proposals.open_proposal(ctx, clock, proposal_id))


@router.post(
    "/proposals/{proposal_id}/votes",
    status_code=201,
    response_model=VoteOut,
    responses=errors(401, 403, 404, 409),
)
async def vote(
    proposal_id: UUID, body: VoteIn, ctx: Ctx, clock: ClockDep, actor: CurrentActor
) -> VoteOut:
    return VoteOut.model_validate(await voting.vote(ctx, clock, actor, proposal_id, body.choice))


@router.get("/proposals/{proposal_id}/votes", response_model=Page[VoteOut], responses=errors(404))
async def list_votes(proposal_id: UUID, ctx: Ctx, paging: Paging) -> Page[VoteOut]:
    found = await voting.list_votes(ctx, proposal_id, paging.limit, paging.offset)
    return page_from(found, VoteOut, paging.limit, paging.offset)


@router.get(
    "/proposals/{proposal_id}/votes/{voter_id}/proof",
    response_model=VoteProofOut,
    responses=errors(404, 409),
    summary="the Merkle proof that a vote is in the anchored votes root",
)
async def vote_proof(proposal_id: UUID, voter_id: UUID, ctx: Ctx) -> VoteProofOut:
    return VoteProofOut.model_validate(await voting.vote_proof(ctx, proposal_id, voter_id))


@router.post(
    "/proposals/{proposal_id}/finalize",
    response_model=ProposalOut,
    responses=errors(401, 403, 404, 409),
    summary="after the close: store the tally and votes root, queue the chain anchor",
)
async def finalize(proposal_id: UUID, ctx: Ctx, clock: ClockDep, _: OwnerOnly) -> ProposalOut:
    return ProposalOut.model_validate(await outcome.finalize(ctx, clock, proposal_id))


@router.post(
    "/proposals/{proposal_id}/execute",
    response_model=ProposalOut,
    responses=errors(401, 403, 404, 409),
    summary="execute a passed network proposal after its timelock (owner; once)",
)
async def execute(proposal_id: UUID, ctx: Ctx, clock: ClockDep, actor: OwnerOnly) -> ProposalOut:
    return ProposalOut.model_validate(await outcome.execute(ctx, clock, actor, proposal_id))
