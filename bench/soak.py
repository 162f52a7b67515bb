"""`./dev bench soak [--minutes 10]`: worker RSS growth under a long half load.

Finds the maximum menu and order rates (a few seconds each), warms up for a minute at
half of them, then keeps menu reads, order creates and wallet reads at half load for
--minutes while sampling each worker's RSS. Growth is the last sample over the first
after the warm-up (target < 10 %); one JSON result file like `./dev bench`.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time

from harness import report, rows, wrk
from harness.report import Collector, Row
from harness.seed import build
from harness.stack import Stack, rss_mb, worker_pids


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="./dev bench soak")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=60, help="seconds before the first sample")
    args = parser.parse_args(argv)
    started = time.time()
    meta = report.machine()
    out = Collector()
    mode = rows.MODES["quick"]
    with Stack(with_chain=False) as stack:
        world = build(stack, mode.customers)
        bench = rows.Bench(world, rows.Mode("soak", 5, 1, mode.customers, {}), out)
        tokens = str(world.tokens_file(1, world.customers))
        cases = {
            "menu": (f"/api/v1/menu?node_id={world.node}", "get.lua", {}),
            "orders": (
                "",
                "orders.lua",
                {
                    "BENCH_DATA": tokens,
                    "BENCH_NODE": world.node,
                    "BENCH_ITEMS": ",".join(world.dishes),
                },
            ),
            "wallet": ("/api/v1/wallets/me", "get.lua", {"BENCH_DATA": tokens}),
        }
        half = {}
        for name, (path, script, env) in cases.items():
            world.restock()
            peak = wrk.run(stack.url + path, script, bench.load(), env).ok_per_second
            half[name] = max(peak / 2 / len(cases), 1.0)  # the three together: half load
        assert stack.serve is not None
        pids = worker_pids(stack.serve)
        samples: list[tuple[float, list[float]]] = []

        def drive(seconds: float) -> None:
            threads = []
            for name, (path, script, env) in cases.items():
                load = rows.paced(bench, half[name])
                load = wrk.Load(load.threads, load.connections, seconds, load.delay_ms)
                thread = threading.Thread(
                    target=wrk.run, args=(stack.url + path, script, load, env), daemon=True
                )
                thread.start()
                threads.append(thread)
            for thread in threads:
                thread.join()

        drive(args.warmup)
        total = args.minutes * 60
        begin = time.monotonic()
        sampler_stop = threading.Event()

        def sample() -> None:
            while not sampler_stop.is_set():
                samples.append((time.monotonic() - begin, [rss_mb(pid) for pid in pids]))
                sampler_stop.wait(10)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        # Restock every few minutes so orders never run out of portions.
        while time.monotonic() - begin < total:
            world.restock()
            drive(min(180, total - (time.monotonic() - begin)))
        sampler_stop.set()
        sampler.join()
        samples.append((time.monotonic() - begin, [rss_mb(pid) for pid in pids]))
        first, last = samples[0][1], samples[-1][1]
        growth = [100 * (b - a) / a for a, b in zip(first, last, strict=True)]
        out.add(
            Row(
                f"soak {args.minutes:g} min: worker RSS growth",
                "%",
                growth,
                10,
                higher_is_better=False,
                note="MB first -> last: "
                + ", ".join(f"{a:.0f} -> {b:.0f}" for a, b in zip(first, last, strict=True))
                + f"; half load {sum(half.values()):,.0f} req/s",
            )
        )
        out.add(Row("soak worker RSS at the end", "MB", last, 150, higher_is_better=False))
        config = {"mode": "soak", "minutes": args.minutes, "workers": stack.workers}
        saved = report.save(out.rows, config, started, meta)
    report.print_final(out.rows, saved)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
