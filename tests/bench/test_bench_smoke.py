"""`./dev bench --smoke` runs end to end and prints its table (never a timed assertion).

The smoke starts what a real run starts (a fresh database on the configured server or an
embedded one, Redis, anvil with a 2 s block time, `hotpot serve --workers 2`, the bare
Starlette baseline, wrk, pgbench) for a second or two per row. It asserts only that every
row of the table is printed and that the run's JSON result file holds them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Every row `./dev bench` must print (issue 11), by the start of its name.
ROWS = [
    "GET menu cached, node_id / bare Starlette",
    "GET menu cached, no node / bare Starlette",
    "GET health / bare Starlette",
    "POST orders rate",
    "POST orders / pgbench same SQL",
    "POST sales (till, receipt) rate",
    "POST receipt claim rate",
    "GET wallets/me rate",
    "POST vote rate",
    "p99 menu at half max",
    "p99 orders at half max",
    "p99 sales at half max",
    "settlement backlog oldest age",
    "settlement mints/s",
    "settlement gas per mint",
    "worker RSS after the load",
    "sweep menu",
    "sweep wallet balance",
    "sweep wallet history first page",
    "sweep register",
    "sweep governance",
    "sweep reconcile",
]


@pytest.fixture(scope="module")
def smoke() -> tuple[str, dict[str, object]]:
    subprocess.run(["bash", "tools/bench-tools.sh"], cwd=ROOT, check=True)
    if not shutil.which("wrk") or not shutil.which("pgbench"):
        pytest.fail("tools/bench-tools.sh did not install wrk and pgbench")
    env = dict(os.environ)
    for name in ("HOTPOT_TEST_DATABASE_URL", "HOTPOT_TEST_REDIS_URL"):
        if env.get(name):  # the suite's servers, if it was told to use them
            env[name.removeprefix("HOTPOT_TEST_")] = env[name]
    completed = subprocess.run(
        ["./dev", "bench", "--smoke"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    found = re.search(r"^result: (.+\.json)$", completed.stdout, re.MULTILINE)
    assert found, completed.stdout[-2000:]
    result = Path(found.group(1))
    try:
        document = json.loads(result.read_text())
    finally:
        result.unlink(missing_ok=True)
        result.with_suffix(".order.pgbench").unlink(missing_ok=True)
    return completed.stdout, document


def test_the_smoke_prints_every_row_of_the_table(smoke: tuple[str, dict[str, object]]) -> None:
    stdout, _ = smoke
    table = stdout[stdout.rindex("\nrow ") :]
    missing = [row for row in ROWS if not re.search(rf"^{re.escape(row)}", table, re.MULTILINE)]
    assert not missing, f"rows missing from the table: {missing}\n{table}"


def test_the_result_file_holds_the_rows_with_their_targets(
    smoke: tuple[str, dict[str, object]],
) -> None:
    _, document = smoke
    rows = document["rows"]
    assert isinstance(rows, list)
    names = [row["name"] for row in rows]
    assert all(any(name.startswith(row) for name in names) for row in ROWS), names
    targets = {row["name"]: row["target"] for row in rows}
    assert targets["POST orders rate"] == 1500
    assert targets["GET health / bare Starlette"] == 0.7
    config = document["config"]
    assert isinstance(config, dict) and config["mode"] == "smoke" and config["workers"] == 2
