"""One relay sends at a time, even when the leader's lock connection is killed (issue 10).

The leader's advisory lock lives on one PostgreSQL connection; `pg_terminate_backend` on
it frees the lock and a second relay takes it. The relay that lost it must stop before
its next send (it confirms the lock on its own connection before every settle).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time

from sqlalchemy import text
from sqlalchemy.exc import TimeoutError as SATimeoutError
from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.adapters.database import Database
from hotpot.context import AppContext
from hotpot.settlement.relay import Send, lock_key, run_relay
from tests.support import World

from .conftest import Chain
from .test_relay_crashes import _counts, _orders, _until

TERMINATIONS = 3


async def _lock_backend(ctx: AppContext, key: int) -> int | None:
    """The pid of the backend holding the relay lock, if one does."""
    async with ctx.db.primary.connect() as conn:
        pid = await conn.scalar(
            text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND objsubid = 1 AND classid::bigint = (CAST(:k AS bigint) >> 32) & 4294967295"
                " AND objid::bigint = CAST(:k AS bigint) & 4294967295"
            ),
            {"k": key},
        )
    return None if pid is None else int(pid)


async def _terminate(ctx: AppContext, pid: int) -> None:
    async with ctx.db.primary.connect() as conn:
        assert await conn.scalar(text("SELECT pg_terminate_backend(:p)"), {"p": pid})


def _running(relays: list[asyncio.Task[None]]) -> None:
    """Fail with a relay's own exception if one ended (a relay must never exit by itself)."""
    for relay in relays:
        if relay.done():
            raise AssertionError(f"a relay exited: {relay.exception()!r}")


def _overlaps(sends: list[Send]) -> list[tuple[Send, Send]]:
    """Pairs of sends by different leases whose intervals intersect."""
    return [
        (a, b)
        for i, a in enumerate(sends)
        for b in sends[i + 1 :]
        if a.holder != b.holder and a.started < b.finished and b.started < a.finished
    ]


async def test_killed_lock_connection_leaves_one_relay_sending(
    world: World, ctx: AppContext, chain: Chain
) -> None:
    await chain.settle()
    settings = chain.settings.model_copy(
        update={"settlement_batch_size": 4, "settlement_poll_seconds": 0.1}
    )
    relay_ctx = dataclasses.replace(ctx, settings=settings, chain=chain.client, store=chain.store)
    key = lock_key(chain.client.address)
    sends: list[Send] = []
    stop = asyncio.Event()
    relays = [
        asyncio.create_task(run_relay(relay_ctx, stop, on_send=sends.append)) for _ in range(2)
    ]
    terminated: list[tuple[str, float]] = []  # (holder that lost the lock, when)
    try:
        for _ in range(TERMINATIONS):
            load = asyncio.create_task(_orders(world, 16))
            seen = len(sends)

            async def sending(seen: int = seen) -> bool:
                _running(relays)
                return len(sends) >= seen + 2

            assert await _until(sending, within=60), "the relays did not settle under load"
            pid = await _lock_backend(ctx, key)
            assert pid is not None
            holder = sends[-1].holder
            await _terminate(ctx, pid)

            async def released(pid: int = pid) -> bool:
                return await _lock_backend(ctx, key) != pid

            assert await _until(released, within=10), "the terminated backend kept the lock"
            terminated.append((holder, time.monotonic()))
            await load

        # Every connection of the relays dropped at once (as a database restart does):
        # the relays log, back off and lead again instead of exiting.
        async with ctx.db.primary.connect() as conn:
            await conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        await _orders(world, 8)

        async def finished() -> bool:
            _running(relays)
            return await _counts(ctx) == (0, 0)

        assert await _until(finished, within=90, every=0.1), "the outbox was not drained"
    finally:
        stop.set()
        await asyncio.gather(*relays, return_exceptions=True)
    assert _overlaps(sends) == []
    for holder, at in terminated:
        late = [s for s in sends if s.holder == holder and s.started > at]
        assert late == [], f"the relay that lost its lock sent {len(late)} more batches"
    assert len({s.holder for s in sends}) >= TERMINATIONS  # leadership really moved
    print(f"{len(sends)} sends by {len({s.holder for s in sends})} leases, no overlap")
    await chain.assert_no_drift()


async def _take(db: Database, stack: contextlib.AsyncExitStack) -> AsyncConnection:
    """A connection of `db`'s pool, kept open by `stack`, once one is free (30 s at most)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return await stack.enter_async_context(db.primary.connect())
        except SATimeoutError:
            if time.monotonic() >= deadline:
                raise


async def test_relay_outlives_a_database_it_cannot_reach(
    world: World, ctx: AppContext, chain: Chain
) -> None:
    """The adapter reports an outage as the domain's `Unavailable` (here its pool times out):
    the relay gives up leading, backs off and settles once the database answers again; it
    never exits (CI saw a relay exit on `Unavailable` when every backend was terminated)."""
    await chain.settle()
    settings = chain.settings.model_copy(update={"settlement_poll_seconds": 0.05})
    # Four connections in all (pool 2 + overflow 2): the lock takes one, the test the rest.
    db = Database(settings.database_url, pool_size=2, checkout_timeout=1.0)
    relay_ctx = dataclasses.replace(
        ctx, settings=settings, db=db, chain=chain.client, store=chain.store
    )
    key = lock_key(chain.client.address)
    stop = asyncio.Event()
    relay = asyncio.create_task(run_relay(relay_ctx, stop))
    try:

        async def leading() -> bool:
            _running([relay])
            return await _lock_backend(ctx, key) is not None

        assert await _until(leading, within=30), "the relay did not take the lock"
        async with contextlib.AsyncExitStack() as held:
            for _ in range(3):
                # The relay's own transactions come and go: wait for each free connection.
                conn = await _take(db, held)
                await conn.scalar(text("SELECT 1"))
            await _orders(world, 2)

            async def stepped_back() -> bool:
                _running([relay])
                return await _lock_backend(ctx, key) is None

            assert await _until(stepped_back, within=30), "the relay kept leading"

        async def finished() -> bool:
            _running([relay])
            return await _counts(ctx) == (0, 0)

        assert await _until(finished, within=60, every=0.1), "the outbox was not drained"
    finally:
        stop.set()
        await asyncio.gather(relay, return_exceptions=True)
        await db.dispose()
    await chain.assert_no_drift()
