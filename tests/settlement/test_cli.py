"""Every command of `hotpot chain` and the settlement CLI, as real subprocesses.

They run against the session's test database and anvil with no REDIS_URL: these
commands use the database and the chain only, so no Redis is needed nor started.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from uuid import UUID

import httpx
from sqlalchemy import select, update

from hotpot.adapters.embedded import free_port
from hotpot.config import Settings
from hotpot.context import AppContext
from hotpot.governance.tables import governance_anchors
from hotpot.settlement.tables import chain_deployments
from tests.support import World

from .conftest import Chain, FakeClock
from .test_governance_anchor import _finalized_pair, _row
from .test_settlement_e2e import till_sale

HOTPOT = str(Path(sys.executable).parent / "hotpot")


def _env(settings: Settings) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "HOTPOT_TEST_REDIS_URL")
    }
    env.update(
        {
            "DATABASE_URL": str(settings.database_url),
            "CHAIN_RPC_URLS": ",".join(settings.chain_rpc_urls),
            "HOTPOT_DATA_DIR": str(settings.hotpot_data_dir),
            "SETTLEMENT_POLL_SECONDS": "0.2",
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


async def _hotpot(settings: Settings, *args: str) -> tuple[int, str]:
    done = await asyncio.to_thread(
        subprocess.run,
        [HOTPOT, *args],
        env=_env(settings),
        capture_output=True,
        text=True,
        timeout=180,
    )
    return done.returncode, done.stdout + done.stderr


async def test_chain_and_settlement_commands(
    client: httpx.AsyncClient, world: World, ctx: AppContext, chain: Chain, clock: FakeClock
) -> None:
    settings = chain.settings
    code, out = await _hotpot(settings, "chain", "deploy")
    assert code == 0, out
    async with ctx.db.transaction() as conn:
        live = (
            await conn.execute(
                select(chain_deployments).order_by(chain_deployments.c.id.desc()).limit(1)
            )
        ).one()
    for name in ("thp", "spot", "registry", "anchor"):
        assert f"{name}: {getattr(live, name)}" in out
    code, out = await _hotpot(settings, "chain", "deploy")
    assert code == 0 and "already deployed" in out, out

    # Something to settle and two tallies to anchor.
    _, token = await world.customer()
    item = await world.item(price=3_000, portions=3)
    order = await world.order(token, world.node_a, item)
    await world.complete(order["id"])
    sale = await till_sale(world)
    voted, empty = await _finalized_pair(client, world, ctx, clock)

    code, out = await _hotpot(settings, "verify", "order", order["id"])
    assert code == 1 and "no settlement record" in out, out
    code, out = await _hotpot(settings, "verify", "proposal", voted["id"])
    assert code == 1 and "anchored_on_chain: FAILED" in out, out

    code, out = await _hotpot(settings, "worker", "--once")
    assert code == 0, out
    assert "anchored 2 proposal tallies" in out
    settled = int(out.split("settled ", 1)[1].split(" ", 1)[0])
    assert settled > 0
    code, out = await _hotpot(settings, "worker", "--once")
    assert code == 0 and "settled 0 outbox rows" in out and "anchored 0 proposal" in out, out

    code, out = await _hotpot(settings, "reconcile")
    assert code == 0 and out.strip().endswith("healthy"), out
    code, out = await _hotpot(settings, "reconcile", "--deep")
    assert code == 0 and "healthy" in out, out

    code, out = await _hotpot(settings, "verify", "order", order["id"])
    assert code == 0 and out.strip().endswith("valid"), out
    # A receipt by the id printed on the slip (issue 10, item 14); its sale id is not it.
    code, out = await _hotpot(settings, "verify", "receipt", str(sale["receipt_id"]))
    assert code == 0 and out.strip().endswith("valid"), out
    code, out = await _hotpot(settings, "verify", "receipt", str(sale["sale_id"]))
    assert code == 1 and "no settlement record" in out, out
    for proposal in (voted, empty):
        code, out = await _hotpot(settings, "verify", "proposal", proposal["id"])
        assert code == 0 and out.strip().endswith("valid"), out
        assert proposal["votes_root"] in out
        row = await _row(ctx, proposal["id"])
        assert row.tx_hash and f"tx {row.tx_hash}" in out, out

    # A database tally that differs from the chain is reported, exit 1.
    anchors = governance_anchors.c
    where = anchors.proposal_id == UUID(voted["id"])
    async with ctx.db.transaction() as conn:
        await conn.execute(
            update(governance_anchors).where(where).values(against_units=anchors.against_units + 5)
        )
    try:
        code, out = await _hotpot(settings, "verify", "proposal", voted["id"])
        assert code == 1 and "tally_on_chain: FAILED" in out and "INVALID" in out, out
    finally:
        async with ctx.db.transaction() as conn:
            await conn.execute(
                update(governance_anchors)
                .where(where)
                .values(against_units=anchors.against_units - 5)
            )

    # Unknown ids and kinds.
    code, out = await _hotpot(settings, "verify", "proposal", str(uuid.uuid4()))
    assert code == 1 and "not finalized" in out, out
    code, out = await _hotpot(settings, "verify", "proposal", "not-a-uuid")
    assert code == 2 and "not a proposal id" in out, out
    code, out = await _hotpot(settings, "verify", "ballot", "x")
    assert code == 2 and "order, receipt or proposal" in out, out

    # None of these started an embedded Redis.
    assert not (Path(settings.hotpot_data_dir) / "redis").exists()


async def test_worker_loop_anchors_a_new_tally_and_stops_on_sigterm(
    client: httpx.AsyncClient, world: World, ctx: AppContext, chain: Chain, clock: FakeClock
) -> None:
    await chain.settle()
    metrics_port = free_port()
    worker = subprocess.Popen(
        [HOTPOT, "worker"],
        env={**_env(chain.settings), "WORKER_METRICS_PORT": str(metrics_port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        voted, empty = await _finalized_pair(client, world, ctx, clock)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            rows = [await _row(ctx, p["id"]) for p in (voted, empty)]
            if all(r.anchored_at is not None for r in rows):
                break
            assert worker.poll() is None, worker.stderr.read() if worker.stderr else ""
            await asyncio.sleep(0.2)
        assert all(r.anchored_at is not None and r.tx_hash for r in rows)
        # The worker serves its own gauges for Prometheus (the API process cannot see them).
        metrics = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
        assert "# TYPE hotpot_reconciliation_drift_units gauge" in metrics
        assert 'hotpot_dependency_up{dependency="chain"} 1.0' in metrics
    finally:
        worker.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(worker.wait, 30)
    assert code == 0
    await chain.assert_no_drift()


async def test_second_worker_on_a_taken_metrics_port_says_so(chain: Chain) -> None:
    with socket.socket() as taken:
        taken.bind((chain.settings.host, 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out = await _hotpot(chain.settings, "worker", "--metrics-port", str(port))
    assert code == 2, out
    assert f"metrics port {chain.settings.host}:{port} is taken" in out, out
    assert "--metrics-port or WORKER_METRICS_PORT" in out, out
