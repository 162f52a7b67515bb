"""A chain that went back (a node restarted from an older state) loses batches the
database records as settled: the relay finds them and sends them again, whenever and
however far the chain went back.

CI of 2 December: after a hard kill the relay settled on past the lost batches (its
check, "recorded above the head", came only when it took the lead, and the new blocks had
passed the old ones by then), a batch burning what a lost one minted then reverted on
every pass, and the reconciliation that would have found the loss never came round,
because each failed pass gave the lead up and the schedule began anew.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from structlog.testing import capture_logs

from hotpot.chain.anvil import EmbeddedAnvil
from hotpot.chain.client import TransactionReverted
from hotpot.chain.contracts import call_data
from hotpot.context import AppContext
from hotpot.ledger.tables import outbox
from hotpot.settlement.deployments import ensure_deployed, vyper_cache
from hotpot.settlement.relay import Relay, Send, run_relay
from tests.support import World

from .conftest import Chain


def _rpc(anvil: EmbeddedAnvil, method: str, params: list[Any] | None = None) -> Any:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}
    return httpx.post(anvil.url, json=body, timeout=10).json()["result"]


def _head(anvil: EmbeddedAnvil) -> int:
    return int(_rpc(anvil, "eth_blockNumber"), 16)


async def _completed_order(world: World) -> None:
    item = await world.item(price=1_000, portions=10)
    _, token = await world.customer()
    order = await world.order(token, world.node_a, item)
    await world.complete(order["id"])


async def _settled_before(world: World, chain: Chain) -> None:
    """A settled batch older than what the chain will lose: the deployment's oldest one is
    how the relay tells a reset chain (deploy again) from one that lost its newest blocks."""
    await _completed_order(world)
    assert await chain.settle() > 0


async def _unsettled(ctx: AppContext) -> int:
    async with ctx.db.read() as conn:
        count = await conn.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.settled_at.is_(None))
        )
    return int(count or 0)


async def _lose_a_batch(world: World, chain: Chain, anvil: EmbeddedAnvil) -> int:
    """Settle a batch, then take the chain back to before it: the head it had reached."""
    await _settled_before(world, chain)
    snapshot = _rpc(anvil, "evm_snapshot")
    await _completed_order(world)
    assert await chain.settle() > 0
    lost_head = _head(anvil)
    assert _rpc(anvil, "evm_revert", [snapshot]) is True
    return lost_head


async def test_a_batch_the_chain_lost_is_sent_again_at_the_next_pass(
    world: World, chain: Chain, anvil: EmbeddedAnvil
) -> None:
    lost_head = await _lose_a_batch(world, chain, anvil)
    assert _head(anvil) < lost_head
    assert await chain.settle() > 0  # the lost batch, under its own id
    await chain.assert_no_drift()


async def test_a_lost_batch_is_found_after_the_chain_has_mined_past_it(
    world: World, chain: Chain, anvil: EmbeddedAnvil
) -> None:
    lost_head = await _lose_a_batch(world, chain, anvil)
    _rpc(anvil, "anvil_mine", [hex(5)])  # blocks of others: the head says nothing now
    assert _head(anvil) > lost_head
    assert await chain.settle() > 0
    await chain.assert_no_drift()


async def test_a_chain_that_goes_back_between_two_receipts_of_a_pass(
    world: World, ctx: AppContext, chain: Chain, anvil: EmbeddedAnvil
) -> None:
    await _settled_before(world, chain)
    deployment = await ensure_deployed(ctx.db, chain.client, vyper_cache(chain.settings))
    thp = deployment.addresses.thp
    sends: list[Send] = []

    def went_back_after_the_first(send: Send) -> None:
        sends.append(send)
        if len(sends) == 1:
            assert _rpc(anvil, "evm_revert", [snapshot]) is True

    relay = Relay(
        chain.settings,
        ctx.db,
        chain.client,
        chain.store,
        deployment,
        on_send=went_back_after_the_first,
    )
    # A first batch, left pending by a refused send (THP paused) ...
    await _completed_order(world)
    await chain.client.transact(thp, call_data("pause()", [], []))
    try:
        with pytest.raises(TransactionReverted):
            await relay.step()
    finally:
        await chain.client.transact(thp, call_data("unpause()", [], []))
    # ... then a second: the next pass sends the first, and the second once the first's
    # receipt is in (all that waited fit in it), and the chain goes back right then.
    await _completed_order(world)
    snapshot = _rpc(anvil, "evm_snapshot")
    first = await relay.step()
    assert first.settled_batches == 2 and len(sends) == 2
    # The second landed in a block of the first one's number: the first is pending again.
    assert await _unsettled(ctx) > 0
    assert (await relay.step()).settled_batches == 1
    assert await _unsettled(ctx) == 0
    await chain.assert_no_drift()


async def test_a_pass_that_keeps_failing_backs_off_and_the_reconciler_still_runs(
    world: World, ctx: AppContext, chain: Chain
) -> None:
    await chain.settle()
    contracts = await chain.contracts()
    thp = contracts.addresses.thp
    settings = chain.settings.model_copy(update={"settlement_poll_seconds": 0.05})
    reconciled: list[float] = []

    async def count() -> None:
        reconciled.append(time.monotonic())

    await chain.client.transact(thp, call_data("pause()", [], []))
    paused = True
    stop = asyncio.Event()
    relay: asyncio.Task[None] | None = None
    try:
        await _completed_order(world)  # its settle reverts while THP is paused
        with capture_logs() as logs:
            relay = asyncio.create_task(
                run_relay(
                    dataclasses.replace(ctx, settings=settings, chain=chain.client),
                    stop,
                    reconcile_every=3600,  # only a refused batch makes it due
                    before_reconcile=count,
                )
            )

            def failures() -> list[dict[str, Any]]:
                return [e for e in logs if e["event"] == "relay pass failed; retrying"]

            deadline = time.monotonic() + 30
            while len(failures()) < 4 or not reconciled:
                assert time.monotonic() < deadline, (failures(), reconciled)
                assert not relay.done()
                await asyncio.sleep(0.02)
            assert [e["retry_in"] for e in failures()[:4]] == [0.05, 0.1, 0.2, 0.4]
            assert "would revert" in failures()[0]["error"]
            await chain.client.transact(thp, call_data("unpause()", [], []))
            paused = False
            while await _unsettled(ctx):
                assert time.monotonic() < deadline + 30, "nothing settled after unpausing"
                assert not relay.done()
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        if relay is not None:
            await relay
        if paused:
            await chain.client.transact(thp, call_data("unpause()", [], []))
    await chain.assert_no_drift()
