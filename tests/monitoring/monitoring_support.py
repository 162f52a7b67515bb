"""Paths and helpers shared by the monitoring tests (a plain module, imported by name)."""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MONITORING = REPO / "monitoring"
PROMETHEUS_DIR = MONITORING / "prometheus"
TOOLS_SCRIPT = REPO / "tools" / "monitoring-tools.sh"


def run_tool(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a CLI tool, returning its result; the caller asserts on the exit code."""
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=120
    )
