"""The relay: drains the outbox to the chain in batches, exactly once in effect.

One pass (`Relay.step`):
1. resend every *pending* batch of the live deployment (a batch is persisted, with its
   outbox rows tagged, BEFORE its transaction is sent): if the registry already has the
   batch id, only the database is brought up to date; otherwise `settle` is sent again
   with the same id, root and CID;
2. then build new batches from the oldest unbatched rows (each at most
   SETTLEMENT_BATCH_SIZE (token, address) pairs), net the deltas per (token, address),
   publish the records (one per order or receipt) and the batch manifest to the IPFS
   store, compute the Merkle root, persist the batch, then send it (step 1); while the
   batch built was full (more rows waited than it took), build the next, up to
   SETTLEMENT_BATCHES_IN_FLIGHT batches a pass. A batch is sent without waiting for the
   receipt of the one before (consecutive nonces: several settle in one block); the
   receipts are awaited in send order beside the building, and each batch is recorded as
   settled once its receipt is in. The pass ends when every batch it sent is recorded;
3. then anchor the final tallies of finalized proposals (`governance_anchors` rows with
   no `anchored_at`): read `tallies(id)` first, send `anchor(...)` only when the chain
   does not have it, and record `anchored_at`/`tx_hash` from the `TallyAnchored` log. A
   relay killed between the send and the database update finds the tally on chain next
   time and only records it.

At-least-once sending plus the registry's replay no-op gives an exactly-once effect.
One leader per signer key: a session-level `pg_try_advisory_lock` on a key derived from
the signer address, held on a dedicated connection for as long as the relay leads. The lock
dies with its connection (`pg_terminate_backend`, a failover, a network cut), so the relay
confirms it on that connection (`pg_locks` for its own backend) before every send; a relay
that lost it stops, and one whose database went away backs off and tries to lead again.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from web3.exceptions import Web3RPCError

from hotpot.adapters.database import Database, is_unavailable
from hotpot.adapters.ipfs import IpfsError, IpfsStore
from hotpot.chain.client import ChainClient, ChainError, TransactionReverted
from hotpot.chain.contracts import Contracts
from hotpot.config import Settings
from hotpot.context import AppContext
from hotpot.domain.canonical import Mint, RecordKind, SettlementRecord, Token, canonical_json
from hotpot.domain.errors import Unavailable
from hotpot.domain.merkle import MerkleTree, from_hex, leaf_hash, to_hex
from hotpot.domain.settlement import AnchorRow, Changes, net_changes, take_batch
from hotpot.governance import repository as governance
from hotpot.settlement import repository as repo
from hotpot.settlement.deployments import Deployment, ensure_deployed, vyper_cache
from hotpot.telemetry.metrics import DEPENDENCY_UP

log = structlog.get_logger(__name__)

MANIFEST_SCHEMA = "hotpot.settlement-batch/1"


def lock_key(address: str) -> int:
    """A signed 64-bit advisory lock key derived from the signer address."""
    return int.from_bytes(bytes.fromhex(address.lower().removeprefix("0x"))[:8], "big", signed=True)


class LostLeadership(Exception):
    """The relay's lock is no longer held: it must not send."""


@dataclass(frozen=True)
class Send:
    """One settle transaction as its relay saw it: from the lock check to the receipt."""

    holder: str
    batch_id: str
    started: float
    finished: float


SendObserver = Callable[[Send], None]

# The lock of a bigint key is listed in pg_locks as (classid, objid) = (high, low) 32 bits.
_LOCK_HELD = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND pid = pg_backend_pid() AND objsubid = 1"
    " AND classid::bigint = (CAST(:k AS bigint) >> 32) & 4294967295"
    " AND objid::bigint = CAST(:k AS bigint) & 4294967295"
)


class Lease:
    """The relay lock as taken on its own connection; truthy while it was taken."""

    def __init__(self, conn: AsyncConnection | None, key: int, holder: str) -> None:
        self._conn = conn
        self.key = key
        self.holder = holder

    def __bool__(self) -> bool:
        return self._conn is not None

    async def confirm(self) -> None:
        """Raise LostLeadership unless the lock is still held by this connection."""
        if self._conn is None:
            raise LostLeadership("this relay does not lead")
        try:
            held = await self._conn.scalar(_LOCK_HELD, {"k": self.key})
            await self._conn.commit()
        except (DBAPIError, OSError) as exc:
            raise LostLeadership(f"the lock connection is gone: {exc}") from exc
        if not held:
            raise LostLeadership("the relay lock is no longer held")


def _holder() -> str:
    return f"{os.getpid()}-{secrets.token_hex(4)}"


def manifest_bytes(
    batch_id: str, chain_id: int, registry: str, record_cids: list[str], changes: Changes
) -> bytes:
    """The batch document whose CID goes on chain: what the batch changes, and its records."""
    rows: list[dict[str, Any]] = []
    for token, mints, burns in (
        ("THP", changes.thp_mints, changes.thp_burns),
        ("SPOT", changes.spot_mints, changes.spot_burns),
    ):
        rows += [{"token": token, "address": a, "delta": u} for a, u in mints]
        rows += [{"token": token, "address": a, "delta": -u} for a, u in burns]
    rows.sort(key=lambda r: (r["token"], r["address"]))
    return canonical_json(
        {
            "schema": MANIFEST_SCHEMA,
            "batch": batch_id,
            "chain_id": chain_id,
            "registry": registry.lower(),
            "records": record_cids,
            "changes": rows,
        }
    )


ANCHORS_PER_STEP = 50
RECORD_ADDS_IN_FLIGHT = 16


@dataclass
class StepResult:
    settled_batches: int = 0
    settled_rows: int = 0
    anchored: int = 0

    @property
    def idle(self) -> bool:
        return self.settled_batches == 0 and self.anchored == 0


class _Phases:
    """Milliseconds per phase of building a batch, for its log line (where a pass goes)."""

    def __init__(self) -> None:
        self.laps: dict[str, int] = {}
        self._last = time.monotonic()

    def lap(self, name: str) -> None:
        now = time.monotonic()
        self.laps[name] = round(1000 * (now - self._last))
        self._last = now


@dataclass(frozen=True)
class _InFlight:
    """A batch whose settle transaction was sent and whose receipt is awaited."""

    batch: Any
    tx_hash: str
    started: float


class _Receipts:
    """Awaits the receipts of sent batches in send order, beside the sending, and records
    each batch as settled once its receipt is in.

    A failure does not stop it: the batches sent after it may still be mined and are
    recorded when they are; the first failure is kept for the pass to raise (what failed
    stays pending in the database and is resent by the next pass)."""

    def __init__(self, relay: Relay, result: StepResult) -> None:
        self.relay = relay
        self.result = result
        self.error: BaseException | None = None
        self.waiting = 0  # put and not yet recorded (or failed)
        self._queue: asyncio.Queue[_InFlight | None] = asyncio.Queue()
        self._task = asyncio.create_task(self._run())

    def put(self, sent: _InFlight) -> None:
        self.waiting += 1
        self._queue.put_nowait(sent)

    async def drain(self) -> None:
        """Until every batch put so far is recorded (or failed)."""
        await self._queue.join()

    async def close(self, *, cancel: bool = False) -> None:
        if cancel:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            return
        self._queue.put_nowait(None)
        await self._task

    async def _run(self) -> None:
        while (sent := await self._queue.get()) is not None:
            try:
                await self.relay._record(sent)
                self.result.settled_batches += 1
                self.result.settled_rows += int(sent.batch.row_count)
            except Exception as exc:
                if self.error is None:
                    self.error = exc
                log.warning(
                    "batch not confirmed; it stays pending",
                    batch_id=sent.batch.batch_id,
                    error=str(exc),
                )
            finally:
                self.waiting -= 1
                self._queue.task_done()


class Relay:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        client: ChainClient,
        store: IpfsStore,
        deployment: Deployment,
        lease: Lease | None = None,
        on_send: SendObserver | None = None,
    ) -> None:
        self.settings = settings
        self.lease = lease
        self.on_send = on_send
        self.db = db
        self.client = client
        self.store = store
        self.deployment = deployment
        self.contracts = Contracts(client, deployment.addresses)
        # What this pass's receipts must lie above: the block of the newest batch the chain
        # had when the pass began, and the (block, hash) of the last receipt; then the
        # block the chain went back to, once a receipt shows it (`_note_receipt`).
        self._floor = 0
        self._last: tuple[int, str] | None = None
        self._rewound_to: int | None = None

    async def step(self) -> StepResult:
        await self._check_continuity()
        try:
            result = await self._pass()
        except Exception:
            await self._repair_if_rewound()  # then the next pass resends what it lost
            raise
        await self._repair_if_rewound()
        return result

    async def _check_continuity(self) -> None:
        """Before a pass: the batches recorded last that the chain lacks (a node restarted
        from an older state) go back to pending, and this pass resends them."""
        from hotpot.settlement.reconciler import repair_anchors, repair_tail

        tail = await repair_tail(self.db, self.contracts, self.deployment)
        if tail.missing:
            await repair_anchors(self.db, self.contracts)
        self._floor, self._last = tail.block, None

    def _note_receipt(self, block: int, block_hash: str) -> None:
        """Our receipts come in nonce order, each in a block above the batches recorded
        before the pass and at or above the one before it (the same block only if it is
        the same block): else the chain went back while the pass sent and has mined again.
        The batches recorded since are newer than those it lost, so the check before the
        next pass would stop at them, and a batch burning what a lost one minted would
        then revert on every pass."""
        last = self._last
        behind = last is not None and (block, block_hash) != last and block <= last[0]
        if block <= self._floor or behind:
            self._went_back(block - 1)
        self._last = (block, block_hash)

    def _went_back(self, block: int) -> None:
        if self._rewound_to is None or block < self._rewound_to:
            self._rewound_to = block

    async def _repair_if_rewound(self) -> None:
        """The batches recorded above the block the chain went back to, that it lacks, go
        back to pending (same ids), and the tallies it lacks back to un-anchored."""
        from hotpot.settlement.reconciler import repair_anchors, repair_gaps

        if self._rewound_to is None:
            return
        missing = await repair_gaps(
            self.db, self.contracts, self.deployment, above=self._rewound_to
        )
        await repair_anchors(self.db, self.contracts)
        log.warning(
            "the chain went back while batches were sent; what it lost is resent",
            to_block=self._rewound_to,
            batches=len(missing),
        )
        self._rewound_to = None

    async def _pass(self) -> StepResult:
        result = StepResult()
        async with self.db.transaction() as conn:
            pending = await repo.pending_batches(conn, self.deployment.id)
        receipts = _Receipts(self, result)
        try:
            for batch in pending:
                await self._dispatch(batch, receipts, result)
            for _ in range(self.settings.settlement_batches_in_flight):
                if receipts.error is not None or self._rewound_to is not None:
                    break  # the chain refused or lost one: the next pass resends in order
                built = await self._build_batch()
                if built is None:
                    break
                batch, full = built
                if not full and receipts.waiting:
                    # All that waited fit in it: sent now it would share a block with those
                    # in flight, a transaction's fixed gas for a few rows. It goes once
                    # they are mined (into the next block); building went on meanwhile.
                    await receipts.drain()
                    if receipts.error is not None:
                        break  # it stays pending: the next pass sends it
                await self._dispatch(batch, receipts, result)
        except asyncio.CancelledError:
            await receipts.close(cancel=True)
            raise
        except BaseException:
            await receipts.close()  # what was sent is still recorded if it is mined
            raise
        await receipts.close()
        if receipts.error is not None:
            raise receipts.error
        result.anchored = len(await self.anchor_pending())
        return result

    async def anchor_pending(self, limit: int = ANCHORS_PER_STEP) -> list[str]:
        """Anchor the oldest un-anchored tallies; the proposal ids recorded as anchored."""
        async with self.db.transaction() as conn:
            rows = await governance.pending_anchors(conn, limit)
        done = []
        for row in rows:
            if await self._anchor(row):
                done.append(str(row.proposal_id))
        return done

    async def _anchor(self, row: AnchorRow) -> bool:
        proposal_id = from_hex(row.chain_proposal_id)
        on_chain = await self.contracts.tally(proposal_id)
        sent: str | None = None
        if not on_chain.anchored:
            try:
                receipt = await self.contracts.anchor(
                    proposal_id,
                    row.for_units,
                    row.against_units,
                    row.abstain_units,
                    row.passed,
                    from_hex(row.votes_root),
                )
            except TransactionReverted as exc:
                # Not retried blindly (a missing ANCHOR_ROLE, a zero root): logged on every
                # pass, while the outbox keeps settling.
                log.error(
                    "anchor refused by the chain", proposal=str(row.proposal_id), error=str(exc)
                )
                return False
            sent = receipt.tx_hash
            on_chain = await self.contracts.tally(proposal_id)
        else:
            log.info("tally was already anchored; recording it", proposal=str(row.proposal_id))
        if not row.matches(on_chain):
            log.error(
                "the chain holds another tally for this proposal; not recorded",
                proposal=str(row.proposal_id),
                chain_root=to_hex(on_chain.votes_root),
                db_root=row.votes_root,
            )
            return False
        # The anchoring transaction is the one that logged TallyAnchored (ours, unless a
        # replay of ours met an earlier one).
        tx = await self.contracts.anchor_tx(proposal_id, on_chain.block_number) or sent
        async with self.db.transaction() as conn:
            recorded = await governance.mark_anchored(conn, row.proposal_id, tx)
        if recorded:
            log.info(
                "tally anchored",
                proposal=str(row.proposal_id),
                tx=tx,
                block=on_chain.block_number,
                passed=row.passed,
                votes=row.vote_count,
            )
        return recorded

    async def _build_batch(self) -> tuple[repo.NewBatch, bool] | None:
        """Build, publish and persist the next batch (its rows tagged), and whether it is
        full (more rows wait than it took); None if no rows wait."""
        size = self.settings.settlement_batch_size
        clock = _Phases()
        reads = size * 4 + 64
        async with self.db.transaction() as conn:
            waiting = await repo.unbatched_rows(conn, reads)
            rows = take_batch(waiting, size)
            if not rows:
                return None
            facts = await repo.purchases_to_record(
                conn, {(r.ref_kind, r.ref_id) for r in rows}, rows[0].id
            )
        clock.lap("read")
        batch_id = "0x" + secrets.token_hex(32)
        changes = net_changes([(r.token, r.address, r.delta) for r in rows])
        records = [_record(f) for f in facts]
        record_bytes = [r.to_bytes() for r in records]
        clock.lap("records")
        record_cids = await self._add_all(record_bytes)
        manifest = manifest_bytes(
            batch_id,
            self.deployment.chain_id,
            self.deployment.addresses.registry,
            record_cids,
            changes,
        )
        cid = await self.store.add(manifest)
        clock.lap("store")
        leaves = [leaf_hash(data) for data in [*record_bytes, manifest]]
        tree = MerkleTree.from_leaves(leaves)
        clock.lap("tree")
        if self.lease is not None:
            await self.lease.confirm()  # a relay that lost its lock must not batch either
        batch = repo.NewBatch(batch_id, to_hex(tree.root), cid, len(rows))
        async with self.db.transaction() as conn:
            ok = await repo.create_batch(
                conn,
                batch_id=batch_id,
                deployment_id=self.deployment.id,
                root=to_hex(tree.root),
                cid=cid,
                leaves=[to_hex(leaf) for leaf in leaves],
                row_ids=[r.id for r in rows],
                records=[
                    (rec.kind.value, rec.record_id, index, rcid)
                    for index, (rec, rcid) in enumerate(zip(records, record_cids, strict=True))
                ],
            )
            if not ok:
                # Only a second leader batches the same rows: this one lost its lock.
                raise LostLeadership("outbox rows were batched by another relay")
        clock.lap("persist")
        log.info(
            "batch built",
            batch_id=batch_id,
            rows=len(rows),
            records=len(records),
            cid=cid,
            ms=clock.laps,
        )
        return batch, len(rows) < len(waiting) or len(waiting) == reads

    async def _add_all(self, blobs: list[bytes]) -> list[str]:
        """Store the records, `RECORD_ADDS_IN_FLIGHT` at a time (CIDs in order): one at a
        time, a batch of hundreds of records waited hundreds of store round trips."""
        limit = asyncio.Semaphore(RECORD_ADDS_IN_FLIGHT)

        async def add(data: bytes) -> str:
            async with limit:
                return await self.store.add(data)

        return list(await asyncio.gather(*(add(data) for data in blobs)))

    async def _dispatch(self, batch: Any, receipts: _Receipts, result: StepResult) -> None:
        """Send a persisted batch (its receipt then awaited by `receipts`), or record it at
        once when the chain already has it (sent by a relay that died before recording)."""
        batch_id = from_hex(batch.batch_id)
        if await self.contracts.is_settled(batch_id):
            on_chain = await self.contracts.batch(batch_id)
            if on_chain.merkle_root != from_hex(batch.merkle_root):
                raise ChainError(f"batch {batch.batch_id} is on chain with another root")
            tx = await self.contracts.settlement_tx(batch_id, on_chain.block_number)
            log.info("batch was already settled; recording it", batch_id=batch.batch_id)
            async with self.db.transaction() as conn:
                await repo.mark_settled(conn, batch.batch_id, tx or "", on_chain.block_number)
            result.settled_batches += 1
            result.settled_rows += int(batch.row_count)
            return
        async with self.db.transaction() as conn:
            changes = await repo.batch_changes(conn, batch.batch_id)
        try:
            sent = await self._send(batch, changes)
        except TransactionReverted:
            if not receipts.waiting:
                raise
            # Its estimate ran on a state without the batches still in flight (a burn of
            # what one of them mints): once they are mined, it is estimated again.
            log.info("batch would revert before those in flight; waiting", batch_id=batch.batch_id)
            await receipts.drain()
            if receipts.error is not None:
                raise
            sent = await self._send(batch, changes)
        receipts.put(sent)

    async def _send(self, batch: Any, changes: Changes) -> _InFlight:
        started = time.monotonic()
        if self.lease is not None:
            await self.lease.confirm()  # a relay that lost its lock must not send
        tx_hash = await self.contracts.send_settle(
            from_hex(batch.batch_id), from_hex(batch.merkle_root), batch.cid, changes
        )
        return _InFlight(batch, tx_hash, started)

    async def _record(self, sent: _InFlight) -> None:
        """Wait for a sent batch's receipt, then record the batch as settled."""
        receipt = await self.client.wait_for(sent.tx_hash)
        self._note_receipt(receipt.block_number, receipt.block_hash)
        if self.on_send is not None:
            holder = self.lease.holder if self.lease is not None else ""
            self.on_send(Send(holder, sent.batch.batch_id, sent.started, time.monotonic()))
        log.info(
            "batch settled",
            batch_id=sent.batch.batch_id,
            tx=receipt.tx_hash,
            block=receipt.block_number,
            gas=receipt.gas_used,
            rows=sent.batch.row_count,
            ms_from_send=round(1000 * (time.monotonic() - sent.started)),
        )
        async with self.db.transaction() as conn:
            await repo.mark_settled(
                conn, sent.batch.batch_id, receipt.tx_hash, receipt.block_number
            )


def _record(facts: repo.PurchaseFacts) -> SettlementRecord:
    return SettlementRecord(
        kind=RecordKind.RECEIPT if facts.ref_kind == "sale" else RecordKind.ORDER,
        record_id=facts.ref_id,
        node_id=facts.node_id,
        amount_tetri=facts.amount_tetri,
        occurred_at=facts.occurred_at,
        mints=tuple(Mint(token=Token(t), to=a, units=u) for t, a, u in facts.mints),
    )


@contextlib.asynccontextmanager
async def leadership(db: Database, address: str) -> AsyncIterator[Lease]:
    """Yields a truthy Lease while this process holds the relay lock of `address`."""
    key = lock_key(address)
    async with db.primary.connect() as conn:
        got = bool(await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}))
        await conn.commit()
        try:
            yield Lease(conn if got else None, key, _holder())
        finally:
            if got:
                with contextlib.suppress(Exception):
                    await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    await conn.commit()


def _retryable(exc: BaseException) -> bool:
    """A failure the relay outlives: a dependency down or refusing, never a bug of its own.

    The database adapter reports an outage as the domain's `Unavailable` (its pool timing
    out included); Web3RPCError is a node refusing a transaction (e.g. "nonce too low")."""
    return isinstance(
        exc, ChainError | Web3RPCError | IpfsError | Unavailable | OSError | DBAPIError
    ) or is_unavailable(exc)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


ReconcileHook = Callable[[], Awaitable[None]]


class _ReconcileSchedule:
    """The leader's reconciliation every `every` seconds, beside the batches.

    Its own task while the relay leads: at 100k holders one reads balances for seconds, and
    inside the relay's loop it held every batch back meanwhile. It reads the chain at one
    block (`reconcile`), so the batches settling while it reads are no drift. The time it
    is due outlives a leadership: a pass that keeps failing gives the lead up and takes it
    again within a second, and a schedule begun anew each time never came round, so the
    deep check that finds the batches a chain lost never ran. After a failed pass, one that
    is due runs as the relay takes the lead again, before it tries again (no batch moves
    meanwhile anyway); a batch the chain refuses makes it due at once (the ledger says the
    chain can take it: drift, or a paused token)."""

    def __init__(self, db: Database, every: float, before: ReconcileHook | None) -> None:
        self.db = db
        self.every = every
        self.before = before
        self.due_at = time.monotonic() + every

    def due_now(self) -> None:
        self.due_at = min(self.due_at, time.monotonic())

    async def run_if_due(self, contracts: Contracts, deployment: Deployment) -> None:
        if time.monotonic() >= self.due_at:
            await self._run(contracts, deployment)

    async def run_on_schedule(self, contracts: Contracts, deployment: Deployment) -> None:
        """Until cancelled (when the relay stops leading)."""
        while True:
            await asyncio.sleep(max(0.0, self.due_at - time.monotonic()))
            await self._run(contracts, deployment)

    async def _run(self, contracts: Contracts, deployment: Deployment) -> None:
        from hotpot.settlement.reconciler import reconcile, repair_gaps

        self.due_at = time.monotonic() + self.every
        try:
            if self.before is not None:
                await self.before()
            if not (await reconcile(self.db, contracts)).healthy:
                # A node restarted from an older state lost batches recorded as settled;
                # once it has mined past them only a deep check sees them.
                await repair_gaps(self.db, contracts, deployment, deep=True)
        except Exception as exc:
            # An outage is the relay pass's to back off from; a reconciliation that
            # failed is tried again at its next turn.
            log.warning("reconciliation failed; trying again later", error=repr(exc))


async def run_relay(
    ctx: AppContext,
    stop_event: asyncio.Event,
    *,
    reconcile_every: float | None = None,
    on_send: SendObserver | None = None,
    before_reconcile: ReconcileHook | None = None,
) -> None:
    """Lead (or wait to lead) and settle until `stop_event` is set.

    Uses the context's chain client and record store (the bootstrap built them once).
    Failures (chain or IPFS down, a batch that reverts while THP is paused) are logged and
    retried with exponential backoff up to 30 s, back to the poll interval once a pass
    succeeds; nothing is lost, the rows stay in the outbox. So are a lost lock (checked
    before every send) and a database that went away (a restart, a failover): the relay
    gives up leading, backs off, and tries to take the lock again. While it leads, the
    reconciler runs every `reconcile_every` seconds (default SETTLEMENT_RECONCILE_SECONDS),
    awaiting `before_reconcile` first each time (`_ReconcileSchedule`).
    """
    from hotpot.settlement.reconciler import repair_anchors

    settings, db, store = ctx.settings, ctx.db, ctx.store
    client = ctx.require_chain()
    every = settings.settlement_reconcile_seconds if reconcile_every is None else reconcile_every
    schedule = _ReconcileSchedule(db, every, before_reconcile)
    backoff = settings.settlement_poll_seconds
    failing = False  # the last pass failed
    while not stop_event.is_set():
        try:
            async with leadership(db, client.address) as leader:
                if not leader:
                    log.info("another relay leads for this key; waiting", signer=client.address)
                    await _wait(stop_event, max(settings.settlement_poll_seconds, 1.0))
                    continue
                deployment = await ensure_deployed(db, client, vyper_cache(settings))
                relay = Relay(settings, db, client, store, deployment, leader, on_send)
                await repair_anchors(db, relay.contracts)
                if failing:
                    await schedule.run_if_due(relay.contracts, deployment)
                # It reconciles (and repairs) only while this relay leads.
                reconciler = asyncio.create_task(
                    schedule.run_on_schedule(relay.contracts, deployment)
                )
                try:
                    while not stop_event.is_set():
                        done = await relay.step()
                        backoff, failing = settings.settlement_poll_seconds, False
                        if done.idle:
                            await _wait(stop_event, settings.settlement_poll_seconds)
                finally:
                    reconciler.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await reconciler
        except LostLeadership as exc:
            log.warning("relay lost its leadership; it stops sending", error=str(exc))
            await _wait(stop_event, backoff)
        except Exception as exc:
            if not _retryable(exc):
                raise
            if isinstance(exc, IpfsError):
                DEPENDENCY_UP.labels("ipfs").set(0)
            failing = True
            if isinstance(exc, TransactionReverted):
                schedule.due_now()
            log.warning("relay pass failed; retrying", error=str(exc), retry_in=backoff)
            await _wait(stop_event, backoff)
            backoff = min(backoff * 2, 30.0)


async def drain(
    settings: Settings, db: Database, client: ChainClient, store: IpfsStore
) -> StepResult:
    """Settle and anchor until nothing is left (tests, the CLI `worker --once`): totals."""
    deployment = await ensure_deployed(db, client, vyper_cache(settings))
    total = StepResult()
    async with leadership(db, client.address) as leader:
        if not leader:
            raise ChainError("another relay leads for this signer key")
        relay = Relay(settings, db, client, store, deployment, leader)
        while True:
            done = await relay.step()
            if done.idle:
                return total
            total.settled_batches += done.settled_batches
            total.settled_rows += done.settled_rows
            total.anchored += done.anchored


async def settle_all(
    settings: Settings, db: Database, client: ChainClient, store: IpfsStore
) -> int:
    """`drain`, returning the number of outbox rows settled."""
    return (await drain(settings, db, client, store)).settled_rows
