"""`./dev bench`: start the platform and its baselines, run the rows, print the table.

    ./dev bench [--quick | --smoke] [--only ROW[,ROW...]]   rows: see harness/rows.py
    ./dev bench --compare A.json B.json                      figures of two runs side by side
    ./dev bench soak [--minutes 10]                          worker RSS growth at half load

One JSON file per run is written to bench/results/ (see bench/README.md).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from harness import report, rows, sweeps
from harness.report import Collector
from harness.seed import build
from harness.stack import Stack

GROUPS = {**rows.ROWS, **sweeps.SWEEPS}
# The register and governance sweep starts at 1k SPOT holders, so it runs first, before
# the claim and vote rows add their customers (a snapshot copies every holder).
ORDER = ["sweep-holders", *rows.ROWS, "sweep-menu", "sweep-wallet"]
ORDER.append("sweep-reconcile")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="./dev bench", description=__doc__.split("\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="3 s rounds, 2 rounds, small sweeps")
    mode.add_argument("--smoke", action="store_true", help="1 s, 1 round: that it runs at all")
    parser.add_argument("--only", help="comma-separated rows: " + ", ".join(ORDER))
    parser.add_argument("--compare", nargs=2, metavar=("A", "B"), help="two result files")
    parser.add_argument("--markdown", metavar="RESULT", help="a result file as a Markdown table")
    args = parser.parse_args(argv)
    if args.markdown:
        print(report.markdown(Path(args.markdown)))
        return 0
    if args.compare:
        from harness.compare import compare

        print(compare(*args.compare))
        return 0
    asked = ORDER if not args.only else [n.strip() for n in args.only.split(",")]
    unknown = [name for name in asked if name not in GROUPS]
    if unknown:
        parser.error(f"unknown row {', '.join(unknown)}; rows: {', '.join(ORDER)}")
    chosen = [name for name in ORDER if name in asked]
    selected = rows.MODES["smoke" if args.smoke else "quick" if args.quick else "full"]
    started = time.time()
    meta = report.machine()
    out = Collector()
    print(f"bench: {selected.name} mode, rows {', '.join(chosen)}", flush=True)
    with Stack(with_chain="settlement" in chosen or "sweep-reconcile" in chosen) as stack:
        world = build(stack, selected.customers)
        if stack.chain_url:
            # The relay compiles and deploys the contracts at start: not a steady state.
            sweeps.wait_for_deployment(rows.Bench(world, selected, out), timeout=600)
            stack.keep_compiled()
        print(f"bench: platform up and seeded in {time.time() - started:.0f} s", flush=True)
        bench = rows.Bench(world, selected, out)
        for name in chosen:
            try:
                GROUPS[name](bench)
            except Exception:
                # The run's folder goes at the end: show why the platform stopped answering.
                print(stack.serve_log_tail(), file=sys.stderr)
                raise
        config = {
            "mode": selected.name,
            "rows": chosen,
            "workers": stack.workers,
            "seconds_per_round": selected.seconds,
            "rounds": selected.rounds,
            "customers": world.customers,
        }
        path = report.save(out.rows, config, started, meta)
        if bench.order_script:
            path.with_suffix(".order.pgbench").write_text(bench.order_script)
    report.print_final(out.rows, path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
