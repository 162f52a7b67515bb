"""The drills' stack: brought up once per session, on free ports, in a folder of its own.

Drills start and kill real servers for minutes, so they run only from `./dev test-drills`
(which sets HOTPOT_DRILLS=1), never inside `./dev test`. HOTPOT_DRILL_STACK_DIR names a
folder to keep (and reuse) instead of a fresh one; HOTPOT_DRILL_BASE_PORT a base port.
"""

from __future__ import annotations

import os
import random
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "stack"))

from stack import OFFSETS, Stack, port_free  # noqa: E402

from tests.drills.harness import Prometheus, World  # noqa: E402

if os.environ.get("HOTPOT_DRILLS") != "1":
    # The stack tool's own quick tests (test_stack_tool.py) run in every suite.
    collect_ignore = ["test_drills.py"]


def free_base_port() -> int:
    """A base port whose every offset is free now (no drill binds a fixed port)."""
    for _ in range(200):
        base = random.randrange(20_000, 60_000, 100)
        if all(port_free(base + offset) for offset in OFFSETS.values()):
            return base
    raise RuntimeError("no free range of ports for the drill stack")


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    kept = os.environ.get("HOTPOT_DRILL_STACK_DIR")
    if kept:
        folder = Path(kept)
    else:
        (ROOT / ".hotpot").mkdir(exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix="drill-stack-", dir=ROOT / ".hotpot"))
        # PostgreSQL runs as `postgres` when we are root: it must enter the folder.
        folder.chmod(0o755)
    base = int(os.environ.get("HOTPOT_DRILL_BASE_PORT") or free_base_port())
    running = Stack(folder, base)
    try:
        running.up(say=lambda line: print(line, flush=True))
        yield running
    finally:
        running.down()
        if not kept:
            shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def world(stack: Stack) -> World:
    return World.create(stack)


@pytest.fixture(scope="session")
def prometheus(stack: Stack) -> Prometheus:
    return Prometheus(stack)
