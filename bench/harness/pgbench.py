"""Running pgbench with a script file and reading its transactions per second."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path


def run(
    url: str, script: Path, clients: int, threads: int, seconds: float, **defines: int
) -> float:
    binary = shutil.which("pgbench")
    if not binary:
        raise RuntimeError("pgbench is not installed: run tools/bench-tools.sh")
    args = [binary, "-n", "-M", "prepared", "-f", str(script), "-c", str(clients)]
    args += ["-j", str(threads), "-T", str(max(int(seconds), 1))]
    for name, value in defines.items():
        args += ["-D", f"{name}={value}"]
    completed = subprocess.run(
        [*args, url], capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    match = re.search(r"tps = ([0-9.]+)", completed.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", completed.stdout)
    if completed.returncode != 0 or not match or (failed and int(failed.group(1))):
        raise RuntimeError(f"pgbench failed: {completed.stdout[-800:]} {completed.stderr[-800:]}")
    return float(match.group(1))
