"""The rows of the table: each starts its load, alternates A and B, and adds a Row."""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from harness import capture, pgbench, wrk
from harness.cpu import CpuMeter
from harness.report import RESULTS, Collector, Row
from harness.seed import World, add_customers, ok
from harness.stack import rss_mb, worker_pids
from harness.wrk import Load, WrkResult


@dataclass(frozen=True)
class Mode:
    name: str
    seconds: float
    rounds: int
    customers: int
    sweep_sizes: dict[str, list[int]]


MODES = {
    "smoke": Mode(
        "smoke",
        2,
        1,
        300,
        {
            "menu": [10],
            "wallet": [10],
            "register": [1000],
            "governance": [1000],
            "reconcile": [100],
        },
    ),
    "quick": Mode(
        "quick",
        3,
        2,
        1000,
        {
            "menu": [10, 1000],
            "wallet": [10, 10_000],
            "register": [1000, 10_000],
            "governance": [1000, 10_000],
            "reconcile": [1000],
        },
    ),
    "full": Mode(
        "full",
        10,
        3,
        1000,
        {
            "menu": [10, 100, 1000],
            "wallet": [10, 1000, 100_000],
            "register": [1000, 10_000, 100_000],
            "governance": [1000, 10_000, 100_000],
            "reconcile": [1000, 10_000, 100_000],
        },
    ),
}


@dataclass
class Bench:
    world: World
    mode: Mode
    out: Collector
    max_rate: dict[str, float] = field(default_factory=dict)
    receipts: list[Path] = field(default_factory=list)
    next_customer: int = 1  # customers are used once for claims and votes
    order_script: str = ""

    @property
    def url(self) -> str:
        return self.world.stack.url

    def load(self, **changes: float) -> Load:
        values: dict[str, float] = {"seconds": self.mode.seconds, **changes}
        return Load(**values)  # type: ignore[arg-type]

    def take_customers(self, count: int) -> tuple[int, int]:
        """`count` customers never used for a claim or a vote, seeding more when needed."""
        if self.next_customer + count - 1 > self.world.customers:
            add_customers(self.world, self.next_customer + count - 1 - self.world.customers, 1000)
        first = self.next_customer
        self.next_customer += count
        return first, count


def alternate(rounds: int, a: Callable[[], float], b: Callable[[], float]) -> list[float]:
    """A B A B ...: the ratio a/b of each pair, taken seconds apart on the same machine."""
    ratios = []
    for _ in range(rounds):
        first = a()
        second = b()
        ratios.append(first / second if second else 0.0)
    return ratios


def failures(results: list[WrkResult]) -> str:
    failed = sum(r.failed for r in results)
    total = sum(r.requests for r in results)
    return f"{failed} of {total} requests failed" if failed else f"{total} requests"


def spread(values: list[float]) -> str:
    return f"{min(values):,.0f}-{max(values):,.0f}" if values else "-"


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return (ordered[mid] + ordered[~mid]) / 2 if ordered else 0.0


# -- framework ratios ------------------------------------------------------------------
def menu_and_health(bench: Bench) -> None:
    world = bench.world
    platform = httpx.Client(base_url=bench.url)
    node_path = f"/api/v1/menu?node_id={world.node}"
    menus = {}
    for key, path in (("MENU", "/api/v1/menu"), ("NODE_MENU", node_path)):
        response = platform.get(path)
        response.raise_for_status()
        menus[key] = (response.content, response.headers["etag"])
    health = platform.get("/health").content
    world.stack.start_baseline(menus, health)
    for name, path, target in (
        ("menu cached, node_id", node_path, 0.6),
        ("menu cached, no node", "/api/v1/menu", 0.6),
        ("health", "/health", 0.7),
    ):
        same = httpx.get(world.stack.baseline_url + path).content == platform.get(path).content
        assert same, f"the baseline does not return the platform's bytes for {path}"
        served: list[float] = []
        bare: list[float] = []

        def ours(path: str = path, served: list[float] = served) -> float:
            served.append(wrk.run(bench.url + path, "get.lua", bench.load()).ok_per_second)
            return served[-1]

        def theirs(path: str = path, bare: list[float] = bare) -> float:
            url = world.stack.baseline_url + path
            bare.append(wrk.run(url, "get.lua", bench.load()).ok_per_second)
            return bare[-1]

        ratios = alternate(bench.mode.rounds, ours, theirs)
        if name.startswith("menu cached, node"):
            bench.max_rate["menu"] = median(served)
        bench.out.add(
            Row(
                f"GET {name} / bare Starlette",
                "x",
                ratios,
                target,
                note=f"{median(served):,.0f}/s vs {median(bare):,.0f}/s "
                f"({spread(served)} vs {spread(bare)}), {len(menus['NODE_MENU'][0])} B"
                if "menu" in name
                else f"{median(served):,.0f}/s vs {median(bare):,.0f}/s",
            )
        )


# -- orders against pgbench ------------------------------------------------------------
def orders(bench: Bench) -> None:
    world = bench.world
    script, statements = capture.pgbench_script(world)
    path = world.stack.folder / "order.pgbench"
    path.write_text(script)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "last.order.pgbench").write_text(script)  # to read when pgbench refuses it
    bench.order_script = script
    tokens = world.tokens_file(1, world.customers)
    env = {
        "BENCH_DATA": str(tokens),
        "BENCH_NODE": world.node,
        "BENCH_ITEMS": ",".join(world.dishes),
    }
    served: list[float] = []
    database: list[float] = []
    results: list[WrkResult] = []
    meter = CpuMeter(world.stack)

    def ours() -> float:
        world.restock()
        results.append(metered(meter, bench.url, "orders.lua", bench.load(), env))
        served.append(results[-1].ok_per_second)
        return served[-1]

    def theirs() -> float:
        world.restock()
        # As many clients as the two workers' connection pools hold (DB_POOL_SIZE 10 each).
        tps = pgbench.run(
            world.stack.database_url, path, 20, 2, bench.mode.seconds, customers=world.customers
        )
        database.append(tps)
        return tps

    ratios = alternate(bench.mode.rounds, ours, theirs)
    bench.max_rate["orders"] = median(served)
    answers = sum(r.answers for r in results)
    note = f"{failures(results)}; {meter.note(answers)}"
    bench.out.add(Row("POST orders rate", "/s", served, 1500, note=note))
    bench.out.add(
        Row(
            "POST orders / pgbench same SQL",
            "x",
            ratios,
            0.5,
            note=f"pgbench {median(database):,.0f} tx/s ({spread(database)}), "
            f"{statements} statements per order",
        )
    )


# -- plain rates -----------------------------------------------------------------------
def metered(meter: CpuMeter, url: str, script: str, load: Load, env: dict[str, str]) -> WrkResult:
    """`wrk.run` with `meter` counting the CPU the load costs."""
    meter.start()
    try:
        return wrk.run(url, script, load, env)
    finally:
        meter.stop()


def rounds_of(bench: Bench, run: Callable[[int], WrkResult]) -> list[WrkResult]:
    return [run(index) for index in range(bench.mode.rounds)]


def sales(bench: Bench) -> None:
    world = bench.world
    results = []
    meter = CpuMeter(world.stack)
    for index in range(bench.mode.rounds):
        world.restock()
        out = world.stack.folder / f"receipts-{index}"
        bench.receipts.append(out)
        env = {
            "BENCH_TOKEN": world.terminal,
            "BENCH_ITEMS": ",".join(world.dishes),
            "BENCH_OUT": str(out),
        }
        # At least 5 s: a sale's argon2 hash queues behind the others', and a round shorter
        # than that queue would finish no sale at all.
        load = bench.load(seconds=max(bench.mode.seconds, 5))
        results.append(metered(meter, bench.url, "sales.lua", load, env))
    rates = [r.ok_per_second for r in results]
    bench.max_rate["sales"] = median(rates)
    note = f"{failures(results)}; {meter.note(sum(r.answers for r in results))}"
    bench.out.add(Row("POST sales (till, receipt) rate", "/s", rates, 800, note=note))


def receipts_with_codes(bench: Bench) -> list[str]:
    return [line for prefix in bench.receipts for line in receipt_lines(prefix)]


def receipt_lines(prefix: Path) -> list[str]:
    """The "receipt_id code" lines sales.lua's threads wrote under BENCH_OUT=`prefix`."""
    rows: list[str] = []
    for path in sorted(prefix.parent.glob(prefix.name + ".*")):
        rows.extend(line for line in path.read_text().splitlines() if line.strip())
    return rows


def claims(bench: Bench) -> None:
    world = bench.world
    if not bench.receipts:
        sales(bench)
    receipts = receipts_with_codes(bench)
    per_round = max(len(receipts) // bench.mode.rounds, 1)
    rates = []
    meter = CpuMeter(world.stack)
    claimed = 0
    for index in range(bench.mode.rounds):
        chunk = receipts[index * per_round : (index + 1) * per_round]
        if not chunk:
            break
        first, count = bench.take_customers(len(chunk))
        tokens = world.tokens_file(first, count).read_text().split()
        data = world.stack.folder / f"claims-{index}.txt"
        data.write_text("\n".join(f"{r} {t}" for r, t in zip(chunk, tokens, strict=True)) + "\n")
        # Every wrk thread and connection needs receipts of its own (a claim is once).
        threads = min(2, len(chunk))
        load = bench.load(threads=threads, connections=min(16, len(chunk)))
        env = {"BENCH_DATA": str(data)}
        claimed += metered(meter, bench.url + "/", "claims.lua", load, env).answers
        rates.append(claim_rate(world, [line.split()[0] for line in chunk]))
    bench.out.add(
        Row(
            "POST receipt claim rate",
            "/s",
            rates,
            1000,
            note=f"{len(receipts)} receipts from the sales rows, each claimed once"
            f" (claims recorded over the time from the first to the last); {meter.note(claimed)}",
        )
    )


def claim_rate(world: World, receipts: list[str]) -> float:
    """Claims of `receipts` recorded per second, from the first claim to the last.

    A round may use its receipts up before its end (wrk's own rate would then count the
    idle rest); once they are, claims.lua sends only failing requests and stops."""
    row = world.fetch(
        "SELECT count(*) AS n, extract(epoch FROM max(claimed_at) - min(claimed_at)) AS span"
        " FROM receipts WHERE id = ANY($1::uuid[]) AND status = 'CLAIMED'",
        receipts,
    )[0]
    return float(row["n"]) / float(row["span"]) if row["n"] > 1 and row["span"] else 0.0


def wallet(bench: Bench) -> None:
    world = bench.world
    env = {"BENCH_DATA": str(world.tokens_file(1, world.customers))}
    meter = CpuMeter(world.stack)
    results = rounds_of(
        bench,
        lambda _: metered(meter, bench.url + "/api/v1/wallets/me", "get.lua", bench.load(), env),
    )
    rates = [r.ok_per_second for r in results]
    note = f"{failures(results)}; {meter.note(sum(r.answers for r in results))}"
    bench.out.add(Row("GET wallets/me rate", "/s", rates, 1000, note=note))


def open_dish_vote(world: World) -> str:
    proposal = ok(
        world.http.post(
            "/api/v1/governance/dish-proposals",
            json={
                "name": f"Bench dish {uuid.uuid4().hex[:6]}",
                "price_tetri": 1500,
                "ingredients": [{"name": "broth", "grams": 300, "kcal": 120}],
            },
            headers=world.auth(world.owner),
        ),
        201,
    )
    ok(
        world.http.post(
            f"/api/v1/governance/proposals/{proposal['id']}/open", headers=world.auth(world.owner)
        )
    )
    return str(proposal["id"])


def votes(bench: Bench) -> None:
    world = bench.world
    rates = []
    voters = max(int(bench.mode.seconds * 1500), 500)
    meter = CpuMeter(world.stack)
    answers = 0
    for _ in range(bench.mode.rounds):
        # Voters hold SPOT before the snapshot: seed them, then open a fresh proposal.
        first, count = bench.take_customers(voters)
        proposal = open_dish_vote(world)
        env = {"BENCH_DATA": str(world.tokens_file(first, count)), "BENCH_PROPOSAL": proposal}
        result = metered(meter, bench.url + "/", "votes.lua", bench.load(), env)
        rates.append(result.ok_per_second)
        answers += result.answers
    note = f"{voters} voters per round, one vote each; {meter.note(answers)}"
    bench.out.add(Row("POST vote rate", "/s", rates, 1000, note=note))


# -- latency at half load --------------------------------------------------------------
def latency(bench: Bench) -> None:
    world = bench.world
    cases = {
        "menu": (f"/api/v1/menu?node_id={world.node}", "get.lua", {}, 10.0),
        "orders": (
            "",
            "orders.lua",
            {
                "BENCH_DATA": str(world.tokens_file(1, world.customers)),
                "BENCH_NODE": world.node,
                "BENCH_ITEMS": ",".join(world.dishes),
            },
            50.0,
        ),
        "sales": (
            "",
            "sales.lua",
            {"BENCH_TOKEN": world.terminal, "BENCH_ITEMS": ",".join(world.dishes)},
            50.0,
        ),
    }
    for name, (path, script, env, target) in cases.items():
        if name not in bench.max_rate:
            bench.max_rate[name] = wrk.run(
                bench.url + path, script, bench.load(), env
            ).ok_per_second
        rate = bench.max_rate[name] / 2
        if rate < 1:
            bench.out.add(
                Row(
                    f"p99 {name} at half max",
                    "ms",
                    [],
                    target,
                    higher_is_better=False,
                    note=f"not measured: the maximum was {bench.max_rate[name]:.1f}/s",
                )
            )
            continue
        load = paced(bench, rate)
        p99s, achieved = [], []
        for _ in range(bench.mode.rounds):
            world.restock()
            result = wrk.run(bench.url + path, script, load, env)
            p99s.append(result.p99_ms)
            achieved.append(result.ok_per_second)
        bench.out.add(
            Row(
                f"p99 {name} at half max",
                "ms",
                p99s,
                target,
                higher_is_better=False,
                note=f"asked {rate:,.0f}/s, got {median(achieved):,.0f}/s, "
                f"{load.connections} conn x {load.delay_ms:.0f} ms pause",
            )
        )


def paced(bench: Bench, rate: float) -> Load:
    """Connections that each pause between requests, so the total is about `rate`/s.

    Debian's wrk has no constant-rate mode (that is wrk2); its Lua `delay()` hook pauses
    a connection after each response, so C connections with a pause of C/rate seconds send
    at most `rate` requests per second. The achieved rate is printed beside the p99.
    """
    connections = max(2, min(16, math.ceil(rate * 0.02)))
    return bench.load(threads=2, connections=connections, delay_ms=1000 * connections / rate)


# -- settlement under a 2 s block time -------------------------------------------------
def settlement(bench: Bench) -> None:
    world = bench.world
    world.restock()
    started = world.fetch("SELECT now() AS t")[0]["t"]
    oldest: list[float] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            row = world.fetch(
                "SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0) AS age "
                "FROM outbox WHERE settled_at IS NULL"
            )[0]
            oldest.append(float(row["age"]))
            stop.wait(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    seconds = max(bench.mode.seconds * 2, 8)
    half = bench.load(seconds=seconds, threads=1, connections=16)
    order_env = {
        "BENCH_DATA": str(world.tokens_file(1, world.customers)),
        "BENCH_NODE": world.node,
        "BENCH_ITEMS": ",".join(world.dishes),
    }
    sale_env = {"BENCH_TOKEN": world.terminal, "BENCH_ITEMS": ",".join(world.dishes)}
    results: dict[str, WrkResult] = {}
    runners = [
        threading.Thread(
            target=lambda: results.__setitem__(
                "orders", wrk.run(bench.url, "orders.lua", half, order_env)
            )
        ),
        threading.Thread(
            target=lambda: results.__setitem__(
                "sales", wrk.run(bench.url, "sales.lua", half, sale_env)
            )
        ),
    ]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join()
    # Then let the relay drain what the load left (bounded: a stuck relay shows as a gap).
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        left = world.fetch("SELECT count(*) AS n FROM outbox WHERE settled_at IS NULL")[0]["n"]
        if left == 0:
            break
        time.sleep(0.5)
    stop.set()
    sampler.join()
    settled = world.fetch(
        "SELECT count(*) AS n, extract(epoch FROM max(settled_at) - $1) AS span FROM outbox "
        "WHERE settled_at >= $1",
        started,
    )[0]
    produced = world.fetch("SELECT count(*) AS n FROM outbox WHERE created_at >= $1", started)[0][
        "n"
    ]
    span = float(settled["span"] or 0)
    mints_per_second = settled["n"] / span if span else 0.0
    gas = gas_per_mint(world, started)
    sales_rate = results["sales"].ok_per_second
    bench.out.add(
        Row(
            "settlement backlog oldest age",
            "s",
            [max(oldest, default=0.0)],
            10,
            higher_is_better=False,
            note=f"orders {results['orders'].ok_per_second:,.0f}/s + sales {sales_rate:,.0f}/s "
            f"for {seconds:.0f} s, block time 2 s; {produced} mints queued",
        )
    )
    bench.out.add(Row("settlement mints/s", "/s", [mints_per_second], note=f"{settled['n']} mints"))
    bench.out.add(Row("settlement gas per mint", "gas", [gas] if gas else []))


def gas_per_mint(world: World, since: object) -> float:
    batches = world.fetch(
        "SELECT tx_hash, row_count FROM settlement_batches "
        "WHERE settled_at >= $1 AND tx_hash IS NOT NULL",
        since,
    )
    if not batches:
        return 0.0
    gas = 0
    rows = 0
    with httpx.Client(timeout=10) as rpc:
        for batch in batches:
            receipt = rpc.post(
                world.stack.chain_url,
                json={
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "eth_getTransactionReceipt",
                    "params": [batch["tx_hash"]],
                },
            ).json()["result"]
            if receipt:
                gas += int(receipt["gasUsed"], 16)
                rows += batch["row_count"]
    return gas / rows if rows else 0.0


# -- memory ----------------------------------------------------------------------------
def memory(bench: Bench) -> None:
    serve = bench.world.stack.serve
    assert serve is not None
    sizes = [rss_mb(pid) for pid in worker_pids(serve)]
    bench.out.add(
        Row(
            "worker RSS after the load",
            "MB",
            sizes,
            150,
            higher_is_better=False,
            note=f"{len(sizes)} workers: " + ", ".join(f"{s:.0f}" for s in sizes),
        )
    )
    relay = bench.world.stack.relay
    if relay is not None and relay.poll() is None:
        bench.out.add(
            Row(
                "relay RSS after the load (hotpot worker)",
                "MB",
                [rss_mb(relay.pid)],
                note="the settlement relay, a process of its own as in production",
            )
        )


ROWS: dict[str, Callable[[Bench], None]] = {
    "menu": menu_and_health,
    "orders": orders,
    "sales": sales,
    "claims": claims,
    "wallet": wallet,
    "votes": votes,
    "latency": latency,
    "settlement": settlement,
    "rss": memory,
}
