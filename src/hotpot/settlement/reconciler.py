"""The reconciler: the chain against the ledger's settled view, as metrics and a report.

Settled view: the sum of settled outbox deltas per (token, address) — exactly what the
registry minted and burned. Drift per token = |totalSupply - Σ settled deltas| + Σ over
outbox addresses |balanceOf - settled delta sum|; 0 when healthy. The chain is read at
one block and the settled view taken as of that block (`settled_on_chain_at`), so a relay
settling meanwhile shows no drift. It also exports the
outbox backlog, the age of its oldest row, the settlement lag, and chain/IPFS health.

`repair_tail` and `repair_gaps` handle a chain that lost blocks (a dev node restarted from
an older state file): batches recorded as settled that the registry does not know go back
to pending, with the same batch id, and the relay sends them again. `repair_anchors` does the same
for governance tallies recorded as anchored that the anchor contract lacks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

from hotpot.adapters.database import Database
from hotpot.chain.contracts import Contracts
from hotpot.domain.merkle import from_hex
from hotpot.domain.settlement import TOKENS
from hotpot.governance import repository as governance
from hotpot.ledger import repository as ledger_repo
from hotpot.settlement import repository as repo
from hotpot.settlement import views
from hotpot.settlement.deployments import Deployment
from hotpot.telemetry.metrics import (
    OUTBOX_BACKLOG,
    OUTBOX_OLDEST_AGE,
    RECONCILIATION_DRIFT,
    SETTLEMENT_LAG,
)

log = structlog.get_logger(__name__)


@dataclass
class Report:
    supply_chain: dict[str, int] = field(default_factory=dict)
    supply_settled: dict[str, int] = field(default_factory=dict)
    drift: dict[str, int] = field(default_factory=dict)
    mismatches: list[tuple[str, str, int, int]] = field(
        default_factory=list
    )  # token, addr, chain, ledger
    backlog: int = 0
    oldest_age: float = 0.0
    lag: float = 0.0

    @property
    def healthy(self) -> bool:
        return all(value == 0 for value in self.drift.values())

    def lines(self) -> list[str]:
        out = []
        for token in TOKENS:
            out.append(
                f"{token}: chain supply {self.supply_chain.get(token, 0)}, "
                f"ledger settled {self.supply_settled.get(token, 0)}, "
                f"drift {self.drift.get(token, 0)}"
            )
        for token, address, chain, ledger in self.mismatches[:50]:
            out.append(f"  {token} {address}: chain {chain} != ledger settled {ledger}")
        out.append(
            f"outbox backlog {self.backlog} rows, oldest {self.oldest_age:.1f}s, "
            f"settlement lag {self.lag:.1f}s"
        )
        out.append("healthy" if self.healthy else "DRIFT")
        return out


# `balanceOf` reads per JSON-RPC batch request, and batches in flight at once: one request
# per holder cost about 8 ms each (a round trip and the node's per-request work).
BALANCES_PER_REQUEST = 500


async def settled_on_chain_at(
    db: Database, contracts: Contracts, block: int
) -> dict[tuple[str, str], int]:
    """What the ledger says the chain holds at `block`, per (token, address).

    Read while the relay settles: a batch can be mined between any two reads, so the chain
    is read at one block and the database in one statement; the batches whose place the
    database cannot tell are asked of the registry. A pending one counts if the registry had
    it at that block; one recorded in a later block counts unless the registry has it now
    (then it was mined after that block; if the chain lacks it, the chain lost it, and the
    drift shows it)."""
    async with db.transaction() as conn:
        view = await views.settled_view_at(conn, block)
    settled = dict(view.settled)
    for batch_id, (recorded, deltas) in view.unsure.items():
        if recorded:
            counts = not (await contracts.batch(from_hex(batch_id))).settled
        else:
            counts = (await contracts.batch(from_hex(batch_id), block)).settled
        if counts:
            for key, delta in deltas.items():
                settled[key] = settled.get(key, 0) + delta
    return settled


async def reconcile(db: Database, contracts: Contracts, concurrency: int = 4) -> Report:
    report = Report()
    block = await contracts.client.block_number()
    settled = await settled_on_chain_at(db, contracts, block)
    async with db.transaction() as conn:
        pairs = await views.outbox_addresses(conn)
        report.backlog, report.oldest_age = await ledger_repo.outbox_backlog(conn)
        report.lag = await views.settlement_lag(conn)
    limit = asyncio.Semaphore(concurrency)
    chunks = [
        list(pairs[i : i + BALANCES_PER_REQUEST])
        for i in range(0, len(pairs), BALANCES_PER_REQUEST)
    ]

    async def balances(chunk: list[tuple[str, str]], supplies: Sequence[str] = ()) -> list[int]:
        async with limit:
            return await contracts.balances_of(chunk, block, supplies=supplies)

    # Both total supplies ride in the first request.
    first, *read = await asyncio.gather(
        balances(chunks[0] if chunks else [], TOKENS), *(balances(chunk) for chunk in chunks[1:])
    )
    supply = dict(zip(TOKENS, first[len(first) - len(TOKENS) :], strict=True))
    if chunks:
        read.insert(0, first[: len(first) - len(TOKENS)])
    drift = {token: 0 for token in TOKENS}
    found = (
        (token, address, on_chain)
        for chunk, values in zip(chunks, read, strict=True)
        for (token, address), on_chain in zip(chunk, values, strict=True)
    )
    for token, address, on_chain in found:
        ledger = settled.get((token, address), 0)
        if on_chain != ledger:
            drift[token] += abs(on_chain - ledger)
            report.mismatches.append((token, address, on_chain, ledger))
    for token in TOKENS:
        report.supply_chain[token] = supply[token]
        report.supply_settled[token] = sum(v for (t, _), v in settled.items() if t == token)
        drift[token] += abs(report.supply_chain[token] - report.supply_settled[token])
        RECONCILIATION_DRIFT.labels(token).set(drift[token])
    report.drift = drift
    OUTBOX_BACKLOG.set(report.backlog)
    OUTBOX_OLDEST_AGE.set(report.oldest_age)
    SETTLEMENT_LAG.set(report.lag)
    if not report.healthy:
        log.error("reconciliation drift", drift=drift, mismatches=len(report.mismatches))
    return report


# Batches read per page while walking back from the newest recorded one.
TAIL_PAGE = 100


@dataclass(frozen=True)
class Tail:
    missing: list[str]  # the batch ids put back to pending
    block: int  # the block of the newest batch the chain has (0: none)


async def _on_chain(contracts: Contracts, batch: Any) -> bool:
    return (await contracts.batch(from_hex(batch.batch_id))).merkle_root == from_hex(
        batch.merkle_root
    )


async def _put_back(db: Database, missing: list[str]) -> None:
    if missing:
        async with db.transaction() as conn:
            await repo.mark_unsettled(conn, missing)
        log.warning("settled batches missing on chain; resending", batches=len(missing))


async def repair_tail(db: Database, contracts: Contracts, deployment: Deployment) -> Tail:
    """The batches recorded last that the chain lacks go back to pending (same ids).

    Newest first, until one the chain has: a node restarted from an older state lost the
    newest, however far it has mined since, and what it kept is everything before them.
    Costs one registry read while nothing is lost (the relay checks before every pass)."""
    missing: list[str] = []
    before = None
    block = 0
    while True:
        async with db.transaction() as conn:
            page = await repo.settled_batches_newest_first(conn, deployment.id, TAIL_PAGE, before)
        found = None
        for batch in page:
            if await _on_chain(contracts, batch):
                found = batch
                break
            missing.append(batch.batch_id)
        if found is not None:
            block = int(found.block_number or 0)
            break
        if len(page) < TAIL_PAGE:
            break
        before = (page[-1].created_at, page[-1].batch_id)
    await _put_back(db, missing)
    return Tail(missing, block)


async def repair_gaps(
    db: Database,
    contracts: Contracts,
    deployment: Deployment,
    *,
    deep: bool = False,
    above: int | None = None,
) -> list[str]:
    """Batches recorded as settled that the chain lacks go back to pending (same ids).

    By default the lost tail (`repair_tail`); `above` checks the batches recorded in
    blocks above that block (where the relay saw the chain go back while it sent: the
    batches it recorded since are newer than the lost ones); `deep` checks them all.
    """
    if not deep and above is None:
        return (await repair_tail(db, contracts, deployment)).missing
    async with db.transaction() as conn:
        suspects = await repo.settled_batches_after(conn, deployment.id, None if deep else above)
    missing = [batch.batch_id for batch in suspects if not await _on_chain(contracts, batch)]
    await _put_back(db, missing)
    return missing


RECENT_ANCHORS = 100


async def repair_anchors(db: Database, contracts: Contracts, *, deep: bool = False) -> list[str]:
    """Tallies recorded as anchored that the chain lacks go back to un-anchored.

    There is no block number on the anchor row, so the cheap check takes the
    `RECENT_ANCHORS` most recently anchored (a node restarted from an older state lost
    the newest); `deep` checks them all. A tally on chain that differs from the row is
    logged, not reset: re-anchoring cannot change it (the contract is once per proposal).
    """
    async with db.transaction() as conn:
        rows = await governance.anchored(conn, None if deep else RECENT_ANCHORS)
    missing = []
    for row in rows:
        on_chain = await contracts.tally(from_hex(row.chain_proposal_id))
        if not on_chain.anchored:
            missing.append(row.proposal_id)
        elif not row.matches(on_chain):
            log.error("anchored tally differs from the database", proposal=str(row.proposal_id))
    if missing:
        async with db.transaction() as conn:
            await governance.mark_unanchored(conn, missing)
        log.warning("anchored tallies missing on chain; anchoring again", anchors=len(missing))
    return [str(p) for p in missing]
