"""`./dev bench profile [--seconds 10] [ROW ...]`: where a worker's CPU goes under a row's load.

Starts the same stack as `./dev bench` with `HOTPOT_PROFILING_ENABLED=true` (so its
figures are not the bench's: the profiler costs CPU), drives one row's load with wrk and
meanwhile takes `GET /debug/profile?format=pstat` (yappi, CPU clock) from a worker. Prints
and saves, per row, the share of own CPU time by package (starlette, fastapi, pydantic,
sqlalchemy, asyncpg, the platform's own modules, ...), the top functions, and what the
database's sessions were doing meanwhile (`harness/waits.py`: running, waiting for a
lock, waiting for the worker inside a transaction).
Rows: menu, health, orders, sales, wallet, votes, claims.
"""

from __future__ import annotations

import argparse
import pstats
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from harness import wrk
from harness.report import RESULTS
from harness.rows import open_dish_vote, receipt_lines
from harness.seed import World, add_customers, build
from harness.stack import Stack
from harness.waits import WaitSampler


def prepare(world: World, name: str, seconds: int) -> tuple[str, str, dict[str, str]]:
    """The (path, wrk script, environment) of a row's load, with what it needs seeded."""
    tokens = str(world.tokens_file(1, world.customers))
    items = ",".join(world.dishes)
    if name == "menu":
        return f"/api/v1/menu?node_id={world.node}", "get.lua", {}
    if name == "health":
        return "/health", "get.lua", {}
    if name == "orders":
        return (
            "",
            "orders.lua",
            {"BENCH_DATA": tokens, "BENCH_NODE": world.node, "BENCH_ITEMS": items},
        )
    if name == "sales":
        return "", "sales.lua", {"BENCH_TOKEN": world.terminal, "BENCH_ITEMS": items}
    if name == "wallet":
        return "/api/v1/wallets/me", "get.lua", {"BENCH_DATA": tokens}
    if name == "votes":
        # Fresh voters, seeded before the proposal opens so that its snapshot has them.
        first = world.customers + 1
        add_customers(world, seconds * 1500, 1000)
        proposal = open_dish_vote(world)
        env = {
            "BENCH_DATA": str(world.tokens_file(first, seconds * 1500)),
            "BENCH_PROPOSAL": proposal,
        }
        return "/", "votes.lua", env
    if name == "claims":
        return "/", "claims.lua", {"BENCH_DATA": str(claimable(world, seconds))}
    raise SystemExit(f"bench profile: no row {name!r} (rows: {', '.join(ROWS)})")


ROWS = ("menu", "health", "orders", "sales", "wallet", "votes", "claims")


def claimable(world: World, seconds: int) -> Path:
    """Receipts to claim (from sales made now), each with a customer of its own."""
    out = world.stack.folder / "profile-receipts"
    world.restock()
    env = {
        "BENCH_TOKEN": world.terminal,
        "BENCH_ITEMS": ",".join(world.dishes),
        "BENCH_OUT": str(out),
    }
    # Claims run faster than sales: sell for longer than the claims' load lasts.
    wrk.run(world.stack.url, "sales.lua", wrk.Load(seconds=3 * (seconds + 4)), env)
    receipts = receipt_lines(out)
    first = world.customers + 1
    add_customers(world, len(receipts), 1000)
    tokens = world.tokens_file(first, len(receipts)).read_text().split()
    data = world.stack.folder / "profile-claims.txt"
    data.write_text("\n".join(f"{r} {t}" for r, t in zip(receipts, tokens, strict=True)) + "\n")
    return data


def package(filename: str) -> str:
    """A readable owner of a source file: `hotpot.http`, `starlette`, `asyncio`, ..."""
    found = re.search(r"site-packages/([A-Za-z0-9_]+)", filename)
    if found:
        return found.group(1)
    found = re.search(r"src/hotpot/([A-Za-z0-9_]+)", filename)
    if found:
        return "hotpot." + found.group(1).removesuffix(".py")
    found = re.search(r"python3\.\d+/([A-Za-z0-9_]+)", filename)
    if found:
        return "stdlib." + found.group(1).removesuffix(".py")
    return filename or "?"


def summarise(pstat: Path, top: int = 15) -> str:
    stats = pstats.Stats(str(pstat))
    raw = stats.stats  # type: ignore[attr-defined]
    by_package: Counter[str] = Counter()
    by_function: Counter[str] = Counter()
    for (filename, line, name), (_, _, own, _, _) in raw.items():
        by_package[package(filename)] += own
        by_function[f"{package(filename)}:{name} ({Path(filename).name}:{line})"] += own
    total = sum(by_package.values()) or 1.0
    lines = ["own CPU time by package:"]
    lines += [f"  {share / total:6.1%}  {name}" for name, share in by_package.most_common(top)]
    lines.append("top functions by own CPU time:")
    lines += [f"  {share / total:6.1%}  {name}" for name, share in by_function.most_common(top)]
    return "\n".join(lines)


def profile_row(stack: Stack, world: World, name: str, seconds: int) -> str:
    path, script, env = prepare(world, name, seconds)
    load = wrk.Load(seconds=seconds + 4)
    world.restock()
    driver = threading.Thread(target=wrk.run, args=(stack.url + path, script, load, env))
    driver.start()
    time.sleep(1)  # the load is running before the profile starts
    waits = WaitSampler(stack.database_url).start()
    response = httpx.get(
        f"{stack.url}/debug/profile",
        params={"seconds": seconds, "format": "pstat", "clock": "cpu"},
        headers=world.auth(world.owner),
        timeout=seconds + 120,
    )
    waits.stop()
    driver.join()
    response.raise_for_status()
    with tempfile.NamedTemporaryFile(suffix=".pstat", delete=False) as out:
        out.write(response.content)
    try:
        pid = response.headers.get("x-profiled-pid")
        return f"## {name} (worker pid {pid})\n{summarise(Path(out.name))}\n{waits.report()}"
    finally:
        Path(out.name).unlink(missing_ok=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="./dev bench profile")
    parser.add_argument("rows", nargs="*", default=list(ROWS))
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args(argv)
    stack = Stack(with_chain=False)
    stack.extra_env["HOTPOT_PROFILING_ENABLED"] = "true"
    reports = []
    with stack:
        world = build(stack, 1000)
        for name in args.rows:
            reports.append(profile_row(stack, world, name, args.seconds))
            print(reports[-1] + "\n", flush=True)
    RESULTS.mkdir(exist_ok=True)
    saved = RESULTS / time.strftime("%Y%m%dT%H%M%SZ-profile.txt", time.gmtime())
    saved.write_text("\n\n".join(reports) + "\n")
    print(f"result: {saved}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
