"""Governance pages: proposals and their results, voting, the proof of one's own vote,
and the owner's actions (propose a dish, open the vote, finalize, execute).

Every page calls the governance services the API calls, with the same clock dependency
(`http.clock.ClockDep`, which tests override) and the same refusals, shown in words.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, Literal
from uuid import UUID

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from hotpot.context import AppContext
from hotpot.domain import governance as rules
from hotpot.domain.access import AccessRole, Actor
from hotpot.domain.errors import Invalid
from hotpot.domain.governance import Proposal, ProposalStatus
from hotpot.governance import outcome, proposals, voting
from hotpot.governance.clock import Clock
from hotpot.governance.schemas import DishProposalIn, VoteIn
from hotpot.http.auth import require_roles
from hotpot.http.clock import ClockDep
from hotpot.http.context import Ctx
from hotpot.web import session
from hotpot.web.common import pages_router, parse_uuid, tetri, validated
from hotpot.web.session import Form, FormData, MaybeWebActor, WebActor
from hotpot.web.templating import page

router = pages_router()

OPEN_LIMIT = 50
RECENT_LIMIT = 20

_customer_only = require_roles(AccessRole.CUSTOMER)
_owner_only = require_roles(AccessRole.OWNER)


def _proposal_id(value: str) -> UUID:
    return parse_uuid(value, "proposal")


def _back_to(proposal_id: UUID) -> Response:
    return RedirectResponse(f"/app/proposals/{proposal_id}", status_code=303)


# --- everyone's pages ---------------------------------------------------------------------


@router.get("/proposals")
async def proposal_list(
    request: Request, ctx: Ctx, clock: ClockDep, actor: MaybeWebActor
) -> Response:
    """Open votes first, then the latest proposals in any other state (results)."""
    voting_now = await proposals.list_proposals(
        ctx, clock, ProposalStatus.VOTING, None, OPEN_LIMIT, 0
    )
    latest = await proposals.list_proposals(ctx, clock, None, None, RECENT_LIMIT, 0)
    others = [p for p in latest.items if p.status is not ProposalStatus.VOTING]
    return page(request, "proposals.html", open=voting_now.items, others=others)


def _choices(proposal: Proposal) -> list[str]:
    allowed = rules.allowed_choices(proposal.kind)
    return [choice.value for choice in rules.VoteChoice if choice in allowed]


async def _proposal_view(ctx: Ctx, clock: Clock, proposal_id: str) -> dict[str, Any]:
    proposal = await proposals.get_proposal(ctx, clock, _proposal_id(proposal_id))
    return {"proposal": proposal, "choices": _choices(proposal)}


@router.get("/proposals/{proposal_id}")
async def proposal_page(
    proposal_id: str, request: Request, ctx: Ctx, clock: ClockDep, actor: MaybeWebActor
) -> Response:
    view = await _proposal_view(ctx, clock, proposal_id)
    proposal: Proposal = view["proposal"]
    is_customer = actor is not None and actor.role is AccessRole.CUSTOMER
    mine = await voting.my_vote(ctx, proposal.id, actor.id) if is_customer and actor else None
    return page(
        request,
        "proposal.html",
        **view,
        mine=mine,
        # The form for a customer who has not voted while the vote is open; whether their
        # snapshot weight allows a vote is the service's to say (in words) when they send it.
        may_vote=is_customer and mine is None and proposal.status is ProposalStatus.VOTING,
        is_owner=actor is not None and actor.role is AccessRole.OWNER,
        network=proposal.kind.is_network,
    )


@router.get("/proposals/{proposal_id}/live")
async def proposal_live(
    proposal_id: str, request: Request, ctx: Ctx, clock: ClockDep, actor: MaybeWebActor
) -> Response:
    """The status and tally the page polls while the vote is open (it stops at the close)."""
    view = await _proposal_view(ctx, clock, proposal_id)
    return page(request, "fragments/proposal_live.html", **view)


@router.post("/proposals/{proposal_id}/vote")
async def vote(
    proposal_id: str, request: Request, ctx: Ctx, clock: ClockDep, actor: MaybeWebActor
) -> Response:
    """The API's vote: a second one (a double tap included) is refused `already_voted`."""
    wanted = _proposal_id(proposal_id)
    if actor is None:
        # Signed out (or never in): to sign-in and back, as a page would; nothing is read
        # or written, so this answer comes before the form's CSRF check.
        return RedirectResponse(session.signin_url(f"/app/proposals/{wanted}"), status_code=303)
    form = await session.checked_form(request, ctx)
    await _customer_only(actor)
    body = validated(VoteIn, {"choice": form.one("choice")})
    await voting.vote(ctx, clock, actor, wanted, body.choice)
    return _back_to(wanted)


@router.get("/proposals/{proposal_id}/my-vote")
async def my_vote_proof(proposal_id: str, request: Request, ctx: Ctx, actor: WebActor) -> Response:
    """The Merkle proof of the customer's own vote, checked here, and the anchor's state."""
    await _customer_only(actor)
    wanted = _proposal_id(proposal_id)
    proof = await voting.vote_proof(ctx, wanted, actor.id)
    anchor = await outcome.anchor_of(ctx, wanted)
    return page(
        request,
        "vote_proof.html",
        proof=proof,
        record=json.loads(proof.record),
        holds=rules.proof_holds(proof),
        anchor=anchor,
        anchored=anchor is not None and anchor.anchored_at is not None,
    )


# --- the owner's actions --------------------------------------------------------------


def _ingredients(text: str) -> list[dict[str, Any]]:
    """One ingredient a line, "name, grams, kcal"; blank lines are skipped."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split(",")]
        if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
            raise Invalid(
                "validation_error",
                f"ingredients, line {number}: write it as name, grams, kcal (e.g. broth, 300, 120)",
            )
        found.append({"name": parts[0], "grams": int(parts[1]), "kcal": int(parts[2])})
    return found


def _dish_of(form: FormData) -> DishProposalIn:
    return validated(
        DishProposalIn,
        {
            "name": form.one("name"),
            "description": form.one("description"),
            "price_tetri": tetri(form.one("price")),
            "ingredients": _ingredients(form.one("ingredients")),
        },
    )


@router.get("/owner/proposals")
async def owner_proposals(request: Request, ctx: Ctx, clock: ClockDep, actor: WebActor) -> Response:
    await _owner_only(actor)
    latest = await proposals.list_proposals(ctx, clock, None, None, RECENT_LIMIT, 0)
    return page(request, "owner_proposals.html", proposals=latest.items, error=None, values={})


@router.post("/owner/proposals")
async def propose_dish(
    request: Request, ctx: Ctx, clock: ClockDep, form: Form, actor: WebActor
) -> Response:
    """A dish proposal (the owner holds no SPOT, so network proposals are the holders')."""
    await _owner_only(actor)
    try:
        created = await proposals.propose_dish(ctx, actor, _dish_of(form))
    except Invalid as exc:
        latest = await proposals.list_proposals(ctx, clock, None, None, RECENT_LIMIT, 0)
        values = {name: form.one(name) for name in ("name", "description", "price", "ingredients")}
        return page(
            request,
            "owner_proposals.html",
            status_code=422,
            proposals=latest.items,
            error=exc.detail,
            values=values,
        )
    return _back_to(created.id)


# The owner's three moves on a proposal, each the API's; a retry of any is harmless.
_OWNER_ACTIONS: dict[str, Callable[[AppContext, Clock, Actor, UUID], Awaitable[Proposal]]] = {
    "open": lambda ctx, clock, _, wanted: proposals.open_proposal(ctx, clock, wanted),
    # Refused in words while the vote is open.
    "finalize": lambda ctx, clock, _, wanted: outcome.finalize(ctx, clock, wanted),
    # Refused in words inside the timelock, or when the proposal did not pass.
    "execute": outcome.execute,
}


@router.post("/owner/proposals/{proposal_id}/{action}")
async def owner_action(
    proposal_id: str,
    action: Literal["open", "finalize", "execute"],
    request: Request,
    ctx: Ctx,
    clock: ClockDep,
    form: Form,
    actor: WebActor,
) -> Response:
    await _owner_only(actor)
    wanted = _proposal_id(proposal_id)
    await _OWNER_ACTIONS[action](ctx, clock, actor, wanted)
    return _back_to(wanted)
