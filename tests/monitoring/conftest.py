"""Fixtures for the monitoring tests: the non-Python tools they run."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.monitoring.monitoring_support import TOOLS_SCRIPT


@pytest.fixture(scope="session")
def monitoring_tools() -> dict[str, str]:
    """Install (idempotently, via the project's script) and locate the Prometheus tools."""
    subprocess.run(["bash", str(TOOLS_SCRIPT)], check=True, timeout=600)
    found = {name: shutil.which(name) for name in ("prometheus", "promtool", "amtool")}
    missing = [name for name, path in found.items() if path is None]
    assert not missing, f"{TOOLS_SCRIPT.name} did not install {missing}"
    return {name: path for name, path in found.items() if path is not None}
