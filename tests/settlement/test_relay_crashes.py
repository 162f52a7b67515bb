"""Crashes: the relay SIGKILLed mid-batch and restarted; the RPC node killed and restarted."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import func, select

from hotpot.chain.anvil import EmbeddedAnvil
from hotpot.config import Settings
from hotpot.context import AppContext
from hotpot.ledger.tables import outbox
from hotpot.settlement.tables import settlement_batches
from tests.support import World

from .conftest import Chain


async def _orders(world: World, count: int) -> None:
    item = await world.item(price=2_000, portions=count + 5)
    for _ in range(count):
        _, token = await world.customer()
        order = await world.order(token, world.node_a, item)
        await world.complete(order["id"])


async def _counts(ctx: AppContext) -> tuple[int, int]:
    async with ctx.db.read() as conn:
        unsettled = await conn.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.settled_at.is_(None))
        )
        pending = await conn.scalar(
            select(func.count())
            .select_from(settlement_batches)
            .where(settlement_batches.c.status == "pending")
        )
    return int(unsettled or 0), int(pending or 0)


async def _until(
    condition: Callable[[], Awaitable[bool]], *, within: float, every: float = 0.05
) -> bool:
    """Poll `condition` until it holds (True) or `within` seconds pass (False)."""
    deadline = time.monotonic() + within
    while not await condition():
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(every)
    return True


def _worker(settings: Settings) -> subprocess.Popen[bytes]:
    """A `hotpot worker` without a metrics port; its stderr goes to `_stderr_of`'s file."""
    env = {
        **os.environ,
        "DATABASE_URL": str(settings.database_url),
        "CHAIN_RPC_URLS": ",".join(settings.chain_rpc_urls),
        "HOTPOT_DATA_DIR": str(settings.hotpot_data_dir),
        "SETTLEMENT_BATCH_SIZE": "4",
        "SETTLEMENT_POLL_SECONDS": "0.2",
        "LOG_LEVEL": "WARNING",
        "WORKER_METRICS_PORT": "0",  # no test binds a fixed port
    }
    hotpot = Path(sys.executable).parent / "hotpot"
    with _stderr_path(settings).open("ab") as stderr:
        return subprocess.Popen(
            [str(hotpot), "worker"], env=env, stdout=subprocess.DEVNULL, stderr=stderr
        )


def _stderr_path(settings: Settings) -> Path:
    return Path(settings.hotpot_data_dir) / "worker-stderr.log"


def _died(worker: subprocess.Popen[bytes], settings: Settings) -> str:
    """Why a worker we did not kill exited: its code and the end of its stderr."""
    tail = _stderr_path(settings).read_text(errors="replace")[-4000:]
    return f"hotpot worker exited with {worker.returncode} on its own:\n{tail}"


async def test_relay_killed_mid_batch_restarts_without_loss_or_double_mint(
    world: World, ctx: AppContext, chain: Chain
) -> None:
    await chain.settle()  # start from a settled outbox
    await _orders(world, 12)
    assert (await _counts(ctx))[0] > 0
    kills_mid_batch = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        worker = _worker(chain.settings)
        seen = (0, 0)

        async def mid_batch_or_over(worker: subprocess.Popen[bytes] = worker) -> bool:
            nonlocal seen
            seen = await _counts(ctx)
            unsettled, pending = seen
            return worker.poll() is not None or pending > 0 or unsettled == 0

        try:
            # Kill it as soon as a batch is persisted but not yet recorded as settled.
            await _until(mid_batch_or_over, within=deadline - time.monotonic(), every=0.002)
            assert worker.poll() is None or seen[1] > 0 or seen[0] == 0, _died(
                worker, chain.settings
            )
            if worker.poll() is None and seen[1] > 0:
                worker.send_signal(signal.SIGKILL)
                kills_mid_batch += 1
        finally:
            if worker.poll() is None:
                worker.send_signal(signal.SIGKILL)
            worker.wait(10)
        if kills_mid_batch >= 3 or (await _counts(ctx))[0] == 0:
            break
    assert kills_mid_batch >= 1
    # Restarted: it finishes, resending the killed batches under their own ids.
    worker = _worker(chain.settings)

    async def finished() -> bool:
        return (await _counts(ctx)) == (0, 0)

    try:
        assert await _until(finished, within=90, every=0.1), (
            "the restarted relay did not finish"
            if worker.poll() is None
            else _died(worker, chain.settings)
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(20)
    await chain.assert_no_drift()


async def test_rpc_node_killed_and_restarted_during_settlement(
    world: World, ctx: AppContext, chain: Chain, tmp_path: Path
) -> None:
    await chain.settle()
    # A second anvil, same state file across its restart, on a fixed port.
    node = EmbeddedAnvil(tmp_path / "chain")
    node.start()
    settings = chain.settings.model_copy(update={"chain_rpc_urls": [node.url]})
    own = Chain(settings, ctx)
    try:
        await own.settle()  # deploys there (a new chain: every batch settles again)
        await own.assert_no_drift()
        await _orders(world, 6)
        waiting = (await _counts(ctx))[0]
        assert waiting > 0

        async def settling() -> bool:
            unsettled, pending = await _counts(ctx)
            return pending > 0 or unsettled < waiting

        async def restart_mid_settlement() -> bool:
            # As soon as the relay has a batch in flight (or settled one), the node goes.
            caught = await _until(settling, within=60, every=0.005)
            # In threads, so the relay meets the dead node (and retries) meanwhile.
            await asyncio.to_thread(node.stop)  # SIGTERM: anvil writes its state file
            await asyncio.to_thread(node.start)  # same state file and port
            return caught

        restarter = asyncio.create_task(restart_mid_settlement())
        settled = await own.settle()
        assert await restarter, "the relay never started settling"
        # Every row that was waiting is settled by that one pass, the outage notwithstanding.
        assert settled == waiting
        await own.settle()  # whatever the outage left pending
        await own.assert_no_drift()
    finally:
        await own.client.aclose()
        node.stop()
    # The session's node saw none of this; bring it level again for later tests.
    await chain.settle()
    await chain.assert_no_drift()
