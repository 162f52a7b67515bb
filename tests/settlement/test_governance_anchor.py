"""The relay anchors finalized governance tallies on the real anvil, once.

Proposals are created, voted and finalized through the API with an injected clock; the
relay (`drain`, the same leader and signer as settlement) then sends `anchor(...)`.
Checked: the tally and votes root on chain equal the database's; a second run sends
nothing; a crash after the send (the row un-anchored again) costs no transaction; a row
that disagrees with the chain is never recorded as anchored; a tally the chain lost is
found and anchored again (with the settlement batch lost alongside).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import update

from hotpot.chain.contracts import Contracts
from hotpot.context import AppContext
from hotpot.domain.governance import EMPTY_VOTES_ROOT, chain_proposal_id
from hotpot.domain.settlement import AnchorRow
from hotpot.governance import repository as repo
from hotpot.governance.tables import governance_anchors
from hotpot.ledger import repository as ledger
from hotpot.ledger.holders import account_holder
from hotpot.ledger.repository import Movement
from hotpot.settlement.deployments import ensure_deployed
from hotpot.settlement.proofs import verify_anchor
from hotpot.settlement.reconciler import repair_anchors, repair_gaps
from hotpot.settlement.relay import StepResult, drain
from tests.support import World, bearer, ok

from .conftest import Chain, FakeClock

BASE = "/api/v1/governance"


async def _holder(world: World, ctx: AppContext, units: int) -> tuple[str, dict[str, str]]:
    """A customer holding `units` SPOT (minted straight into the ledger)."""
    account, token = await world.customer()
    async with ctx.db.transaction() as conn:
        await ledger.post(
            conn,
            ctx.settings,
            [
                Movement(
                    "SPOT",
                    "mint",
                    units,
                    None,
                    account_holder(uuid.UUID(account["id"])),
                    "order",
                    f"test-gov-{uuid.uuid4()}",
                )
            ],
        )
    return str(account["id"]), bearer(token)


async def _proposal(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    body = {"kind": "GENERAL", "title": f"Anchor me {uuid.uuid4().hex[:6]}", "voting_hours": 24}
    created = ok(await client.post(f"{BASE}/proposals", json=body, headers=headers), 201)
    return str(created["id"])


async def _vote(
    client: httpx.AsyncClient, proposal: str, headers: dict[str, str], choice: str
) -> None:
    ok(
        await client.post(
            f"{BASE}/proposals/{proposal}/votes", json={"choice": choice}, headers=headers
        ),
        201,
    )


async def _finalized_pair(
    client: httpx.AsyncClient, world: World, ctx: AppContext, clock: FakeClock
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A passed proposal (FOR, AGAINST and ABSTAIN votes) and one nobody voted on.

    The voters get more SPOT than the supply so far (other tests mint SPOT too): quorum is
    reached and FOR (5/7 of the cast weight) passes, whatever ran before.
    """
    async with ctx.db.read() as conn:
        supply = await ledger.supply(conn, "SPOT")
    weight = supply + 100_000
    _, alice = await _holder(world, ctx, weight)
    _, bob = await _holder(world, ctx, weight * 3 // 10)
    _, carol = await _holder(world, ctx, weight // 10)
    voted = await _proposal(client, alice)
    empty = await _proposal(client, alice)
    await _vote(client, voted, alice, "FOR")
    await _vote(client, voted, bob, "AGAINST")
    await _vote(client, voted, carol, "ABSTAIN")
    clock.now += timedelta(hours=24, seconds=1)
    owner = world.auth("owner")
    out = []
    for proposal in (voted, empty):
        ok(await client.post(f"{BASE}/proposals/{proposal}/finalize", headers=owner))
        found = ok(await client.get(f"{BASE}/proposals/{proposal}"))
        assert isinstance(found, dict)
        out.append(found)
    assert out[0]["status"] in ("QUEUED", "EXECUTABLE") and out[1]["status"] == "REJECTED"
    return out[0], out[1]


async def _row(ctx: AppContext, proposal: str) -> AnchorRow:
    async with ctx.db.transaction() as conn:
        row = await repo.anchor_of(conn, UUID(proposal))
    assert row is not None
    return row


async def _run(chain: Chain) -> StepResult:
    return await drain(chain.settings, chain.ctx.db, chain.client, chain.store)


async def _nonce(chain: Chain) -> int:
    address = chain.client.address
    return int(await chain.client.call(lambda w3: w3.eth.get_transaction_count(address)))


async def _anchor_count(contracts: Contracts) -> int:
    (count,) = await contracts._view(
        contracts.addresses.anchor, "anchor_count()", [], [], ["uint256"]
    )
    return int(count)


def _chain_id(proposal: str) -> bytes:
    return chain_proposal_id(UUID(proposal).bytes)


async def test_relay_anchors_tallies_once_and_survives_a_crash_after_the_send(
    client: httpx.AsyncClient, world: World, ctx: AppContext, chain: Chain, clock: FakeClock
) -> None:
    await _run(chain)  # start from a drained outbox and no pending anchor
    voted, empty = await _finalized_pair(client, world, ctx, clock)
    contracts = await chain.contracts()
    for proposal in (voted, empty):
        row = await _row(ctx, proposal["id"])
        assert row.anchored_at is None and row.tx_hash is None
        assert not (await contracts.tally(_chain_id(proposal["id"]))).anchored
        assert await verify_anchor(ctx.db, contracts, UUID(proposal["id"])) is not None
    count_before = await _anchor_count(contracts)

    done = await _run(chain)
    assert done.anchored == 2
    assert await _anchor_count(contracts) == count_before + 2

    # The chain holds exactly the finalized tally and root.
    tally = voted["tally"]
    on_chain = await contracts.tally(_chain_id(voted["id"]))
    weights = (tally["for_units"], tally["against_units"], tally["abstain_units"])
    assert weights[0] > 0 and weights[1] == weights[0] * 3 // 10 and weights[2] == weights[0] // 10
    assert (on_chain.for_weight, on_chain.against_weight, on_chain.abstain_weight) == weights
    assert on_chain.passed is True
    assert "0x" + on_chain.votes_root.hex() == voted["votes_root"]
    nobody = await contracts.tally(_chain_id(empty["id"]))
    assert (nobody.for_weight, nobody.against_weight, nobody.abstain_weight) == (0, 0, 0)
    assert nobody.passed is False and nobody.votes_root == EMPTY_VOTES_ROOT
    assert empty["votes_root"] == "0x" + EMPTY_VOTES_ROOT.hex()

    # The rows are recorded with the transaction that logged TallyAnchored.
    row = await _row(ctx, voted["id"])
    assert row.anchored_at is not None and row.tx_hash is not None
    assert row.tx_hash == await contracts.anchor_tx(_chain_id(voted["id"]), on_chain.block_number)
    receipt = await chain.client.call(lambda w3: w3.eth.get_transaction_receipt(row.tx_hash))  # type: ignore[arg-type]
    assert receipt["to"].lower() == contracts.addresses.anchor.lower()
    assert int(receipt["blockNumber"]) == on_chain.block_number
    for proposal in (voted, empty):
        result = await verify_anchor(ctx.db, contracts, UUID(proposal["id"]))
        assert result is not None and result.valid, result and result.checks

    # Running again sends nothing.
    nonce = await _nonce(chain)
    assert (await _run(chain)).anchored == 0
    assert await _nonce(chain) == nonce

    # A crash after the send, before the database update: the row is pending again.
    async with ctx.db.transaction() as conn:
        assert await repo.mark_unanchored(conn, [UUID(voted["id"])]) == 1
    assert (await _row(ctx, voted["id"])).anchored_at is None
    done = await _run(chain)
    assert done.anchored == 1
    again = await _row(ctx, voted["id"])
    assert again.anchored_at is not None and again.tx_hash == row.tx_hash
    assert await _nonce(chain) == nonce  # no transaction: the chain already had it
    assert await _anchor_count(contracts) == count_before + 2
    assert await contracts.tally(_chain_id(voted["id"])) == on_chain
    await chain.assert_no_drift()


async def test_a_row_that_disagrees_with_the_chain_is_not_recorded_and_fails_verification(
    client: httpx.AsyncClient, world: World, ctx: AppContext, chain: Chain, clock: FakeClock
) -> None:
    await _run(chain)
    voted, _ = await _finalized_pair(client, world, ctx, clock)
    await _run(chain)
    contracts = await chain.contracts()
    proposal = UUID(voted["id"])
    anchors = governance_anchors.c

    # Damage the database row (one unit more FOR) and make it pending again.
    async with ctx.db.transaction() as conn:
        await conn.execute(
            update(governance_anchors)
            .where(anchors.proposal_id == proposal)
            .values(for_units=anchors.for_units + 1, anchored_at=None, tx_hash=None)
        )
    nonce = await _nonce(chain)
    assert (await _run(chain)).anchored == 0
    assert (await _row(ctx, voted["id"])).anchored_at is None  # never recorded
    assert await _nonce(chain) == nonce  # and no replay sent
    bad = await verify_anchor(ctx.db, contracts, proposal)
    assert bad is not None and not bad.valid
    assert bad.checks["tally_on_chain"] is False
    assert bad.checks["anchor_row_is_final_tally"] is False
    assert bad.checks["votes_give_root"] is True and bad.checks["anchored_on_chain"] is True

    # Repaired, the relay records it again (still without a transaction).
    async with ctx.db.transaction() as conn:
        await conn.execute(
            update(governance_anchors)
            .where(anchors.proposal_id == proposal)
            .values(for_units=anchors.for_units - 1)
        )
    assert (await _run(chain)).anchored == 1
    assert await _nonce(chain) == nonce
    good = await verify_anchor(ctx.db, contracts, proposal)
    assert good is not None and good.valid, good and good.checks

    # An unknown or unfinalized proposal has nothing to verify.
    assert await verify_anchor(ctx.db, contracts, uuid.uuid4()) is None


async def test_tallies_the_chain_lost_are_found_and_anchored_again(
    client: httpx.AsyncClient, world: World, ctx: AppContext, chain: Chain, clock: FakeClock
) -> None:
    await _run(chain)
    deployment = await ensure_deployed(
        ctx.db, chain.client, chain.settings.hotpot_data_dir / "cache" / "vyper"
    )
    contracts = Contracts(chain.client, deployment.addresses)
    voted, empty = await _finalized_pair(client, world, ctx, clock)
    ids = [voted["id"], empty["id"]]
    # The node will forget what comes next, as a node restarted from an older state does.
    snapshot = await chain.client.call(lambda w3: w3.provider.make_request("evm_snapshot", []))  # type: ignore[arg-type]
    done = await _run(chain)
    assert done.anchored == 2 and done.settled_rows > 0  # the voters' SPOT settles too
    assert await repair_anchors(ctx.db, contracts) == []
    reverted = await chain.client.call(
        lambda w3: w3.provider.make_request("evm_revert", [snapshot["result"]])  # type: ignore[arg-type]
    )
    assert reverted["result"] is True
    for proposal in ids:
        assert not (await contracts.tally(_chain_id(proposal))).anchored
        assert (await _row(ctx, proposal)).anchored_at is not None  # the database believes it

    assert await repair_gaps(ctx.db, contracts, deployment)  # the lost batch: pending again
    assert sorted(await repair_anchors(ctx.db, contracts)) == sorted(ids)
    for proposal in ids:
        assert (await _row(ctx, proposal)).anchored_at is None
    done = await _run(chain)
    assert done.anchored == 2 and done.settled_rows > 0
    for proposal in ids:
        result = await verify_anchor(ctx.db, contracts, UUID(proposal))
        assert result is not None and result.valid, result and result.checks
    await chain.assert_no_drift()
