"""Sweeps: the same operation at growing data sizes, whose cost should stay flat.

Data is seeded with set-based SQL (one statement per size), then measured through the
running platform (wrk, or one timed request) or, where the platform has no HTTP way to
reach the operation at a chosen moment (a tally needs the vote's close), through the
service function with the governance clock moved past the close, as the tests do.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx

from harness import wrk
from harness.report import Row
from harness.seed import add_customers, customer_id, customer_token, ok
from harness.stack import VENV_BIN, rss_mb, worker_pids

if TYPE_CHECKING:
    from harness.rows import Bench


def sizes(bench: Bench, name: str) -> list[int]:
    return bench.mode.sweep_sizes[name]


def sweep_load(bench: Bench) -> wrk.Load:
    """Half a row's round: a sweep has many points, and its figure is their flatness."""
    return bench.load(seconds=max(bench.mode.seconds / 2, 2))


def ensure_holders(bench: Bench, count: int) -> None:
    """At least `count` bench customers holding SPOT (the register's and snapshot's rows)."""
    if bench.world.customers < count:
        add_customers(bench.world, count - bench.world.customers, 1000)


def flatness(bench: Bench, name: str, unit: str, by_size: dict[int, float], higher: bool) -> None:
    """Largest size against the smallest: 1.00 is perfectly flat."""
    if len(by_size) < 2:
        return
    small, large = by_size[min(by_size)], by_size[max(by_size)]
    ratio = (large / small if higher else small / large) if small and large else 0.0
    bench.out.add(
        Row(
            f"sweep {name}: {max(by_size):,} vs {min(by_size):,}",
            "x",
            [ratio],
            note=(
                f"{unit}: largest size over smallest (1.00 flat, below 1 slower when larger)"
                if higher
                else f"{unit}: smallest size over largest (1.00 flat, below 1 costlier when larger)"
            ),
        )
    )


# -- menu 10 -> 1000 items -------------------------------------------------------------
def menu_items(bench: Bench) -> None:
    world = bench.world
    path = f"/api/v1/menu?node_id={world.node}"
    by_size: dict[int, float] = {}
    for size in sizes(bench, "menu"):
        have = int(
            world.fetch("SELECT count(*) AS n FROM menu_items WHERE status = 'ACTIVE'")[0]["n"]
        )
        if size > have:
            world.sql(
                """
                WITH items AS (
                  INSERT INTO menu_items (id, name, description, price_tetri, status)
                  SELECT gen_random_uuid(), 'Sweep dish ' || g, 'a dish of the menu sweep',
                         1000 + g, 'ACTIVE'
                  FROM generate_series(1, $1::int) AS g
                  RETURNING id
                ), ingredients AS (
                  INSERT INTO menu_ingredients (item_id, position, name, grams, kcal)
                  SELECT id, 0, 'broth', 300, 120 FROM items
                )
                INSERT INTO availability (node_id, item_id, portions)
                SELECT $2::uuid, id, 50 FROM items
                """,
                size - have,
                world.node,
            )
        # A write through the API invalidates the cached menu, as an owner's edit would.
        ok(
            world.http.put(
                f"/api/v1/nodes/{world.node}/availability/{world.dishes[0]}",
                json={"portions": 100_000},
                headers=world.auth(world.owner),
            )
        )
        body = world.http.get(path).content  # warm the cache
        rates = [
            wrk.run(bench.url + path, "get.lua", sweep_load(bench)).ok_per_second
            for _ in range(bench.mode.rounds)
        ]
        by_size[size] = statistics.median(rates)
        bench.out.add(
            Row(f"sweep menu {size:,} items (cached)", "/s", rates, note=f"{len(body):,} B")
        )
    flatness(bench, "menu", "requests/s", by_size, higher=True)


# -- wallet balance and history with 10 -> 100k entries for one holder -----------------
def wallet_history(bench: Bench) -> None:
    world = bench.world
    by_size: dict[str, dict[int, float]] = {"balance": {}, "history first page": {}}
    for size in sizes(bench, "wallet"):
        first, _ = bench.take_customers(1)
        holder = f"acct:{customer_id(first)}"
        world.sql(
            """
            WITH minted AS (
              INSERT INTO ledger_entries (token, kind, from_holder, to_holder, units, ref_kind,
                                          ref_id, created_at)
              SELECT 'THP', 'mint', NULL, $1, 10, 'bench', 'sweep-' || g,
                     clock_timestamp() - g * interval '1 second'
              FROM generate_series(1, $2::int) AS g
              RETURNING units
            )
            INSERT INTO ledger_balances (holder, token, units)
            SELECT $1, 'THP', sum(units) FROM minted
            """,
            holder,
            size,
        )
        tokens = world.stack.folder / f"wallet-sweep-{size}.txt"
        tokens.write_text(customer_token(customer_id(first)) + "\n")
        env = {"BENCH_DATA": str(tokens)}
        cases = {
            "balance": "/api/v1/wallets/me",
            "history first page": "/api/v1/wallets/me/history?limit=20",
        }
        # The last page by keyset: the cursor a client paging down would hold there (the
        # id above the holder's 20 oldest entries); the history is never read by OFFSET.
        deep = max(size - 20, 0)
        above = world.fetch(
            "SELECT id FROM ledger_entries WHERE to_holder = $1 ORDER BY id LIMIT 1 OFFSET $2",
            holder,
            min(20, size - 1),
        )
        cases[f"history page by cursor after {deep:,}"] = (
            f"/api/v1/wallets/me/history?limit=20&cursor={above[0]['id']}"
        )
        for label, path in cases.items():
            results = [
                wrk.run(bench.url + path, "get.lua", sweep_load(bench), env)
                for _ in range(bench.mode.rounds)
            ]
            rates = [r.ok_per_second for r in results]
            key = "history last page" if label.startswith("history page by") else label
            by_size.setdefault(key, {})[size] = statistics.median(rates)
            bench.out.add(
                Row(
                    f"sweep wallet {label}, {size:,} entries",
                    "/s",
                    rates,
                    note=f"p99 {statistics.median(r.p99_ms for r in results):.0f} ms",
                )
            )
    for label, values in by_size.items():
        flatness(bench, f"wallet {label}", "requests/s", values, higher=True)


# -- the register 1k -> 100k holders: worker memory while it streams -------------------
def holders(bench: Bench) -> None:
    """The register and a vote's snapshot and tally at each holder count, one size at a
    time: a snapshot copies every SPOT holder, so both must see the same count."""
    memory: dict[int, float] = {}
    snapshot: dict[int, float] = {}
    tally: dict[int, float] = {}
    for size in sorted(set(sizes(bench, "register")) | set(sizes(bench, "governance"))):
        ensure_holders(bench, size)
        if size in sizes(bench, "register"):
            # Under 1 MB is noise of the allocator, not growth: floor it for the ratio.
            memory[size] = max(register_at(bench), 1.0)
        if size in sizes(bench, "governance"):
            snapshot[size], tally[size] = governance_at(bench, size)
    flatness(bench, "register memory", "RSS growth (floored at 1 MB)", memory, higher=False)
    for label, values in (("snapshot", snapshot), ("finalize", tally)):
        per_voter = {n: seconds / n * 1e6 for n, seconds in values.items()}
        flatness(bench, f"governance {label} per voter", "us per voter", per_voter, False)


def register_at(bench: Bench) -> float:
    """Worker RSS growth (MB) while the register streams every holder."""
    world = bench.world
    serve = world.stack.serve
    assert serve is not None
    pids = worker_pids(serve)
    before = max(rss_mb(pid) for pid in pids)
    peak = [before]
    stop = threading.Event()

    def sample(
        peak: list[float] = peak, stop: threading.Event = stop, pids: list[int] = pids
    ) -> None:
        while not stop.is_set():
            peak.append(max(rss_mb(pid) for pid in pids))
            stop.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    with httpx.stream(
        "GET",
        bench.url + "/api/v1/registry/holders",
        headers=world.auth(world.owner),
        timeout=600,
    ) as response:
        received = sum(len(chunk) for chunk in response.iter_bytes())
    seconds = time.perf_counter() - started
    stop.set()
    sampler.join()
    holders = int(world.fetch("SELECT count(DISTINCT holder) AS n FROM ledger_balances")[0]["n"])
    growth = max(peak) - before
    bench.out.add(
        Row(
            f"sweep register {holders:,} holders: worker RSS growth",
            "MB",
            [growth],
            note=f"{received / 1e6:.1f} MB streamed in {seconds:.1f} s",
        )
    )
    return growth


# -- governance snapshot and tally 1k -> 100k voters -----------------------------------
def governance_at(bench: Bench, size: int) -> tuple[float, float]:
    """Seconds of a dish vote's snapshot (propose + open) and finalize, `size` voters."""
    from harness.rows import open_dish_vote

    world = bench.world
    started = time.perf_counter()
    proposal = open_dish_vote(world)
    opened = time.perf_counter() - started
    # Every snapshot holder votes (set-based), then the close is tallied.
    world.sql(
        """
        INSERT INTO governance_votes
          (proposal_id, voter_id, voter_address, choice, weight_units)
        SELECT $1::uuid, a.id, a.wallet_address,
               (ARRAY['FOR', 'AGAINST', 'ABSTAIN'])[1 + (row_number() OVER () % 3)],
               s.units
        FROM governance_snapshots s
        JOIN accounts a ON s.holder = 'acct:' || a.id::text
        WHERE s.proposal_id = $1::uuid AND a.wallet_address IS NOT NULL
        LIMIT $2
        """,
        proposal,
        size,
    )
    finalized = asyncio.run(finalize_after_close(bench, proposal))
    bench.out.add(
        Row(
            f"sweep governance {size:,} voters: snapshot (propose + open)",
            "s",
            [opened],
            higher_is_better=False,
        )
    )
    bench.out.add(
        Row(
            f"sweep governance {size:,} voters: finalize (tally, votes root)",
            "s",
            [finalized],
            higher_is_better=False,
        )
    )
    return opened, finalized


async def finalize_after_close(bench: Bench, proposal: str) -> float:
    """`governance.outcome.finalize` with the clock past the close (as the tests do)."""
    from hotpot.bootstrap import build_context, close_context
    from hotpot.config import Settings
    from hotpot.governance import outcome

    env = bench.world.stack.server_env()
    ctx = build_context(
        Settings(
            database_url=env["DATABASE_URL"],
            redis_url=env["REDIS_URL"],
            redis_namespace=env["REDIS_NAMESPACE"],
            hotpot_env="development",
        )
    )
    later = datetime.now(UTC) + timedelta(days=400)
    try:
        started = time.perf_counter()
        await outcome.finalize(ctx, lambda: later, uuid.UUID(proposal))
        return time.perf_counter() - started
    finally:
        await close_context(ctx)


# -- the reconciler over N holders -----------------------------------------------------
def reconcile(bench: Bench) -> None:
    world = bench.world
    by_size: dict[int, float] = {}
    # Earlier sweeps may have left more holders than the smallest sizes: measure each
    # size at least once, never the same count twice.
    now = bench.world.customers
    for size in sorted({max(size, now) for size in sizes(bench, "reconcile")}):
        ensure_holders(bench, size)
        # The reconciler reads from the chain every address of the outbox: give each seeded
        # mint its outbox row, marked settled (the chain never saw them: drift, exit 1).
        world.sql(
            """
            INSERT INTO outbox (entry_id, token, address, delta, settled_at)
            SELECT e.id, e.token, a.wallet_address, e.units, now()
            FROM ledger_entries e JOIN accounts a ON e.to_holder = 'acct:' || a.id::text
            WHERE e.ref_kind = 'bench' AND a.wallet_address IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.entry_id = e.id)
            """
        )
        holders = int(
            world.fetch("SELECT count(*) AS n FROM (SELECT DISTINCT token, address FROM outbox) t")[
                0
            ]["n"]
        )
        wait_for_deployment(bench)
        started = time.perf_counter()
        completed = subprocess.run(
            [str(VENV_BIN / "hotpot"), "reconcile"],
            env=world.stack.server_env(),
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        seconds = time.perf_counter() - started
        # Exit 1 means "drift found" (the seeded balances were never settled): still a run.
        if completed.returncode not in (0, 1):
            raise RuntimeError(f"hotpot reconcile: {completed.stderr[-800:]}")
        by_size[holders] = seconds / holders * 1e6
        bench.out.add(
            Row(
                f"sweep reconcile {holders:,} holder balances",
                "s",
                [seconds],
                higher_is_better=False,
                note=f"{seconds / holders * 1e6:.0f} us per balance read (the command, start "
                "included)",
            )
        )
    flatness(bench, "reconcile per holder", "us per holder", by_size, higher=False)


def wait_for_deployment(bench: Bench, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if bench.world.fetch("SELECT count(*) AS n FROM chain_deployments")[0]["n"]:
            return
        time.sleep(0.5)
    raise RuntimeError("the relay deployed no contracts")


SWEEPS: dict[str, Callable[[Any], None]] = {
    "sweep-menu": menu_items,
    "sweep-wallet": wallet_history,
    "sweep-holders": holders,
    "sweep-reconcile": reconcile,
}
