"""Fixtures of the deployment checks."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from deploy_support import ROOT, TOOLS


@pytest.fixture(scope="session")
def deploy_tools() -> Path:
    """Installs (or confirms) every non-Python tool these tests run; returns .tools/."""
    subprocess.run([str(ROOT / "tools" / "deploy-tools.sh")], check=True)
    return TOOLS
