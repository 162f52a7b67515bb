"""Several batches in flight (issue 11): sent with consecutive nonces before the first is
mined, each persisted before it is sent and recorded after; a relay that dies between
them neither loses nor doubles anything; a long reconciliation holds no batch back.

The session's anvil mines each transaction at once; here its automine is turned off, so
the test decides when a block is mined and sees what the relay sent meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterator
from typing import Any, cast

import httpx
import pytest
from sqlalchemy import func, select, text
from web3 import AsyncHTTPProvider, AsyncWeb3
from web3.types import RPCEndpoint

from hotpot.context import AppContext
from hotpot.ledger import holders
from hotpot.ledger import repository as ledger
from hotpot.ledger.tables import outbox
from hotpot.settlement.deployments import ensure_deployed, vyper_cache
from hotpot.settlement.proofs import proof_for, verify_proof
from hotpot.settlement.reconciler import reconcile
from hotpot.settlement.relay import Relay, StepResult, run_relay
from hotpot.settlement.repository import batch_changes
from hotpot.settlement.tables import settlement_batches
from tests.support import World, bearer, ok

from .conftest import Chain
from .test_relay_crashes import _counts, _until


async def _rpc(chain: Chain, method: str, params: list[Any]) -> Any:
    async def request(w3: AsyncWeb3[Any]) -> Any:
        provider = cast(AsyncHTTPProvider, w3.provider)
        return await provider.make_request(RPCEndpoint(method), params)

    return await chain.client.call(request)


async def _nonces(chain: Chain) -> tuple[int, int]:
    """The signer's (mined, pending) transaction counts."""
    address = chain.client.address
    mined = await chain.client.call(lambda w3: w3.eth.get_transaction_count(address, "latest"))
    pending = await chain.client.call(lambda w3: w3.eth.get_transaction_count(address, "pending"))
    return int(mined), int(pending)


@pytest.fixture
async def manual_mining(chain: Chain) -> AsyncIterator[None]:
    await chain.settle()  # start from a settled outbox (and a deployment)
    await _rpc(chain, "evm_setAutomine", [False])
    try:
        yield
    finally:
        await _rpc(chain, "evm_setAutomine", [True])
        await _rpc(chain, "evm_mine", [])  # whatever a failed test left in the pool


async def _relay(chain: Chain, ctx: AppContext) -> Relay:
    # The orders share their recipients (the owner, the charity, their buyer), so what cuts
    # a batch is how many outbox rows it reads at most: 4 * size + 64 (BATCH_READS).
    settings = chain.settings.model_copy(
        update={"settlement_batch_size": 1, "settlement_batches_in_flight": 8}
    )
    deployment = await ensure_deployed(ctx.db, chain.client, vyper_cache(settings))
    return Relay(settings, ctx.db, chain.client, chain.store, deployment)


BATCH_READS = 68  # outbox rows, with a batch size of 1
ORDERS_FOR_TWO_BATCHES = 30  # 3 outbox rows each (one customer's SPOT is capped per day)


async def _completed_orders(world: World, token: str, count: int) -> list[str]:
    """`count` orders of one customer, completed (so minted): their ids, oldest first."""
    item = await world.item(price=10_000, portions=count + 5)
    done = []
    for _ in range(count):
        order = await world.order(token, world.node_a, item)
        await world.complete(order["id"])
        done.append(str(order["id"]))
    return done


async def _two_batches_of_orders(world: World, ctx: AppContext) -> list[str]:
    _, token = await world.customer()
    orders = await _completed_orders(world, token, ORDERS_FOR_TWO_BATCHES)
    assert (await _counts(ctx))[0] > BATCH_READS  # more than one batch takes
    return orders


async def _batches(ctx: AppContext) -> list[Any]:
    async with ctx.db.read() as conn:
        rows = await conn.execute(
            select(settlement_batches).order_by(
                settlement_batches.c.created_at, settlement_batches.c.batch_id
            )
        )
        return list(rows)


async def _proved(ctx: AppContext, chain: Chain, order_ids: list[str]) -> None:
    contracts = await chain.contracts()
    for order_id in order_ids:
        proof = await proof_for(ctx.db, "order", order_id)
        assert proof is not None and proof.status == "settled", order_id
        result = await verify_proof(proof, chain.store, contracts)
        assert result.valid, result.detail


async def _mine_until_done(chain: Chain, step: asyncio.Task[StepResult]) -> StepResult:
    """Mine blocks until the relay's pass ends (recorded all it sent): its result."""

    async def done() -> bool:
        if not step.done():
            await _rpc(chain, "evm_mine", [])
        return step.done()

    assert await _until(done, within=30, every=0.2), "the pass did not end"
    return step.result()


async def _unbatched(ctx: AppContext) -> int:
    async with ctx.db.read() as conn:
        return int(
            await conn.scalar(
                select(func.count())
                .select_from(outbox)
                .where(outbox.c.settled_at.is_(None), outbox.c.batch_id.is_(None))
            )
            or 0
        )


async def test_batches_go_in_flight_together_and_settle_in_one_block(
    world: World, ctx: AppContext, chain: Chain, manual_mining: None
) -> None:
    orders = await _two_batches_of_orders(world, ctx)
    relay = await _relay(chain, ctx)
    known = {b.batch_id for b in await _batches(ctx)}
    mined, _ = await _nonces(chain)
    step = asyncio.create_task(relay.step())
    try:

        async def all_sent() -> bool:
            assert not step.done(), step
            new = [b for b in await _batches(ctx) if b.batch_id not in known]
            sent = (await _nonces(chain))[1] - mined
            # The full ones in flight together; the last, not full, waits for their block.
            return await _unbatched(ctx) == 0 and len(new) >= 3 and sent == len(new) - 1

        assert await _until(all_sent, within=30), "the relay did not send its batches"
        new = [b for b in await _batches(ctx) if b.batch_id not in known]
        assert {b.status for b in new} == {"pending"}  # persisted before sending
        assert (await _nonces(chain))[0] == mined
        result = await _mine_until_done(chain, step)
    finally:
        step.cancel()
    assert (result.settled_batches, result.anchored) == (len(new), 0)
    settled = [b for b in await _batches(ctx) if b.batch_id not in known]
    assert {b.status for b in settled} == {"settled"}
    # Several in one block; the last one in a later block.
    first = min(b.block_number for b in settled)
    assert sum(b.block_number == first for b in settled) >= 2
    assert settled[-1].block_number > first
    assert len({b.tx_hash for b in settled}) == len(new)
    # One transaction per batch.
    assert await _nonces(chain) == (mined + len(new), mined + len(new))
    await _proved(ctx, chain, orders)
    await chain.assert_no_drift()


async def _verify(client: httpx.AsyncClient, world: World, account_id: str) -> None:
    response = await client.put(
        f"/api/v1/customers/{account_id}/kyc",
        json={"status": "VERIFIED"},
        headers=world.auth("compliance"),
    )
    assert response.status_code == 204


async def test_a_batch_burning_what_one_in_flight_mints_is_sent_before_it_is_mined(
    client: httpx.AsyncClient, world: World, ctx: AppContext, chain: Chain, manual_mining: None
) -> None:
    """A later batch burns THP its sender receives in an earlier one, not yet mined when
    the later one is estimated and sent (the node estimates on its pending state, mempool
    included): the later one is sent anyway, before the earlier one is mined."""
    sender, sender_token = await world.customer()
    receiver, _ = await world.customer()
    for account in (sender, receiver):
        await _verify(client, world, account["id"])
    await _completed_orders(world, sender_token, ORDERS_FOR_TWO_BATCHES)
    assert (await _counts(ctx))[0] > BATCH_READS
    # More than the batch it lands in mints to the sender: that batch burns from the
    # sender; the orders after it make that batch full, so it goes in flight at once.
    body = {"to_address": receiver["wallet_address"], "units": 25_000}
    headers = {**bearer(sender_token), "Idempotency-Key": str(uuid.uuid4())}
    ok(await client.post("/api/v1/transfers", json=body, headers=headers), 201)
    await _completed_orders(world, sender_token, ORDERS_FOR_TWO_BATCHES)
    relay = await _relay(chain, ctx)
    known = {b.batch_id for b in await _batches(ctx)}
    mined, _ = await _nonces(chain)
    step = asyncio.create_task(relay.step())
    try:

        async def burn_sent() -> bool:
            assert not step.done(), step
            new = [b for b in await _batches(ctx) if b.batch_id not in known]
            sent = (await _nonces(chain))[1] - mined
            async with ctx.db.read() as conn:
                for index, batch in enumerate(new[:sent]):
                    burns = (await batch_changes(conn, batch.batch_id)).thp_burns
                    if [a for a, _ in burns] == [sender["wallet_address"].lower()]:
                        return index > 0  # after a batch minting to the sender
            return False

        assert await _until(burn_sent, within=30), "the burning batch was not sent unmined"
        assert (await _nonces(chain))[0] == mined
        result = await _mine_until_done(chain, step)
    finally:
        step.cancel()
    new = [b for b in await _batches(ctx) if b.batch_id not in known]
    assert result.settled_batches == len(new) >= 2
    assert await _nonces(chain) == (mined + len(new), mined + len(new))
    contracts = await chain.contracts()
    async with ctx.db.read() as conn:
        for account in (sender, receiver):
            holder = holders.account_holder(uuid.UUID(account["id"]))
            assert await contracts.balance_of(
                "THP", account["wallet_address"]
            ) == await ledger.balance(conn, holder, "THP")
    await chain.assert_no_drift()


async def test_a_relay_dying_with_two_batches_in_flight_settles_each_once(
    world: World, ctx: AppContext, chain: Chain, manual_mining: None
) -> None:
    """Killed (its task cancelled: no write after that) once its batches are sent and
    before any is recorded; the chain mines them; the next relay only records them."""
    orders = await _two_batches_of_orders(world, ctx)
    relay = await _relay(chain, ctx)
    known = {b.batch_id for b in await _batches(ctx)}
    mined, _ = await _nonces(chain)
    step = asyncio.create_task(relay.step())

    async def all_sent() -> bool:
        new = [b for b in await _batches(ctx) if b.batch_id not in known]
        sent = (await _nonces(chain))[1] - mined
        # The full ones in flight; the last, not full, persisted and waiting for their block.
        return await _unbatched(ctx) == 0 and len(new) >= 3 and sent == len(new) - 1

    assert await _until(all_sent, within=30), "the relay did not send its batches"
    step.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await step
    batches = len([b for b in await _batches(ctx) if b.batch_id not in known])
    assert (await _counts(ctx))[1] == batches  # all pending: none recorded
    contracts = await chain.contracts()
    # The reconciler reads at one block: sent and unmined, then mined and unrecorded, the
    # pending batches are no drift either way.
    assert (await reconcile(ctx.db, contracts)).healthy
    await _rpc(chain, "evm_mine", [])
    mined_unrecorded = await reconcile(ctx.db, contracts)
    assert mined_unrecorded.healthy, mined_unrecorded.lines()
    assert mined_unrecorded.backlog > 0
    await _rpc(chain, "evm_setAutomine", [True])
    assert await chain.settle() > 0  # records the sent ones from the chain, sends the last
    assert await _nonces(chain) == (mined + batches, mined + batches)  # one each
    assert await _counts(ctx) == (0, 0)
    await _proved(ctx, chain, orders)
    await chain.assert_no_drift()


async def test_a_relay_dying_between_two_batches_settles_each_once(
    world: World, ctx: AppContext, chain: Chain, manual_mining: None
) -> None:
    """Killed after a batch is sent and while the next is being persisted (its rows held by
    another transaction): that one is rolled back with the relay; the next relay records
    the sent ones from the chain and batches the other rows anew."""
    orders = await _two_batches_of_orders(world, ctx)
    relay = await _relay(chain, ctx)
    known = {b.batch_id for b in await _batches(ctx)}
    mined, _ = await _nonces(chain)
    async with ctx.db.primary.connect() as holder:
        # The second order's outbox rows, locked: tagging them for a batch waits.
        await holder.execute(
            text(
                "SELECT o.id FROM outbox o JOIN ledger_entries e ON e.id = o.entry_id"
                " WHERE e.ref_kind = 'order' AND e.ref_id = :ref FOR UPDATE OF o"
            ),
            {"ref": orders[-1]},
        )
        step = asyncio.create_task(relay.step())

        async def one_sent() -> bool:
            assert not step.done(), step
            return (await _nonces(chain))[1] > mined

        assert await _until(one_sent, within=30), "the relay did not send a batch"

        async def second_waits() -> bool:
            async with ctx.db.read() as conn:
                waiting = await conn.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                        " AND query LIKE 'UPDATE outbox SET batch_id%'"
                    )
                )
            return bool(waiting)

        assert await _until(second_waits, within=30), "the second batch was not persisting"
        step.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await step
        await holder.rollback()
    sent = (await _nonces(chain))[1] - mined
    assert (await _counts(ctx))[1] == sent  # sent and not recorded; the next one rolled back
    await _rpc(chain, "evm_mine", [])
    await _rpc(chain, "evm_setAutomine", [True])
    assert await chain.settle() > 0
    # The sent ones recorded from the chain, the rest sent once: one transaction a batch.
    batches = [b for b in await _batches(ctx) if b.batch_id not in known]
    assert {b.status for b in batches} == {"settled"} and len(batches) > sent
    assert await _nonces(chain) == (mined + len(batches), mined + len(batches))
    assert await _counts(ctx) == (0, 0)
    await _proved(ctx, chain, orders)
    await chain.assert_no_drift()


async def test_a_long_reconciliation_holds_no_batch_back(
    world: World, ctx: AppContext, chain: Chain
) -> None:
    """The reconciler runs beside the relay: while one reconciliation is held (here: until
    the test lets it go), orders completed meanwhile are settled."""
    await chain.settle()
    settings = chain.settings.model_copy(update={"settlement_poll_seconds": 0.05})
    relay_ctx = dataclasses.replace(ctx, settings=settings, chain=chain.client, store=chain.store)
    entered: list[float] = []
    held, release = asyncio.Event(), asyncio.Event()

    async def long_reconciliation() -> None:
        entered.append(asyncio.get_running_loop().time())
        held.set()
        await release.wait()

    stop = asyncio.Event()
    relay = asyncio.create_task(
        run_relay(relay_ctx, stop, reconcile_every=0.05, before_reconcile=long_reconciliation)
    )
    try:
        await asyncio.wait_for(held.wait(), 30)
        _, token = await world.customer()
        await _completed_orders(world, token, 3)

        async def drained() -> bool:
            assert not relay.done(), relay
            return await _counts(ctx) == (0, 0)

        assert await _until(drained, within=30), "batches waited for the reconciliation"
        assert len(entered) == 1 and not release.is_set()  # it is still reconciling
        release.set()

        async def reconciled_again() -> bool:
            return len(entered) >= 2  # the held one ended, the next one began

        assert await _until(reconciled_again, within=30)
    finally:
        release.set()
        stop.set()
        await asyncio.wait_for(relay, 30)
    await chain.assert_no_drift()


async def test_a_batch_that_took_all_that_waited_is_the_last_one_of_its_block(
    world: World, ctx: AppContext, chain: Chain, manual_mining: None
) -> None:
    """Rows that come while a batch that is not full is built go into the next batch, which
    is built at once but sent once the first is mined: sent at once it would share that
    block, a transaction's fixed gas for a few rows."""
    _, token = await world.customer()
    first = await _completed_orders(world, token, 2)
    relay = await _relay(chain, ctx)
    known = {b.batch_id for b in await _batches(ctx)}
    mined, _ = await _nonces(chain)
    async with ctx.db.primary.connect() as holder:
        # The first batch's rows, locked: persisting that batch waits while more come.
        await holder.execute(
            text(
                "SELECT o.id FROM outbox o JOIN ledger_entries e ON e.id = o.entry_id"
                " WHERE e.ref_kind = 'order' AND e.ref_id = :ref FOR UPDATE OF o"
            ),
            {"ref": first[0]},
        )
        step = asyncio.create_task(relay.step())

        async def persisting() -> bool:
            assert not step.done(), step
            async with ctx.db.read() as conn:
                return bool(
                    await conn.scalar(
                        text(
                            "SELECT count(*) FROM pg_stat_activity"
                            " WHERE wait_event_type = 'Lock'"
                            " AND query LIKE 'UPDATE outbox SET batch_id%'"
                        )
                    )
                )

        assert await _until(persisting, within=30), "the relay did not persist a batch"
        later = await _completed_orders(world, token, 2)
        await holder.rollback()

    async def second_built() -> bool:
        assert not step.done(), step
        new = [b for b in await _batches(ctx) if b.batch_id not in known]
        return len(new) == 2 and await _unbatched(ctx) == 0

    assert await _until(second_built, within=30), "the later rows were not batched"
    assert (await _nonces(chain))[1] == mined + 1  # the second waits for the first's block
    result = await _mine_until_done(chain, step)
    assert result.settled_batches == 2
    batches = [b for b in await _batches(ctx) if b.batch_id not in known]
    assert batches[0].block_number < batches[1].block_number
    assert await _nonces(chain) == (mined + 2, mined + 2)
    assert await _counts(ctx) == (0, 0)
    await _proved(ctx, chain, first + later)
    await chain.assert_no_drift()
