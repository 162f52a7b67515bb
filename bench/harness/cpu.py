"""CPU a row's load cost: the API workers' and PostgreSQL's, per answer and in cores.

A rate below its target is either CPU-bound (the workers use the cores while the
database waits on them), or held up elsewhere (locks, round trips). Reading both
processes' CPU time from `/proc` around a load tells which, in the same run, and what an
answer costs: at 2 cores shared by the workers, the database and wrk, the rate cannot
exceed about 2 / (the workers' plus the database's CPU per answer).
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

from harness.stack import Stack, worker_pids

_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process (0 when it is gone)."""
    with contextlib.suppress(OSError, IndexError, ValueError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICK
    return 0.0


def postgres_pids() -> list[int]:
    """Every PostgreSQL server process on the machine (the bench's database among them)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "postgres":
                    found.append(int(entry.name))
    return found


class CpuMeter:
    """Sums CPU over the loads run between `start()` and `stop()` (several rounds)."""

    def __init__(self, stack: Stack) -> None:
        assert stack.serve is not None
        self.workers = worker_pids(stack.serve)
        self.worker_seconds = 0.0
        self.postgres_seconds = 0.0
        self.wall_seconds = 0.0
        self._started: tuple[float, float, float] | None = None

    def _now(self) -> tuple[float, float, float]:
        workers = sum(cpu_seconds(pid) for pid in self.workers)
        database = sum(cpu_seconds(pid) for pid in postgres_pids())
        return workers, database, time.monotonic()

    def start(self) -> None:
        self._started = self._now()

    def stop(self) -> None:
        assert self._started is not None
        workers, database, wall = self._now()
        self.worker_seconds += workers - self._started[0]
        self.postgres_seconds += database - self._started[1]
        self.wall_seconds += wall - self._started[2]
        self._started = None

    def note(self, answers: float) -> str:
        """`workers 16.1 ms + PostgreSQL 4.2 ms of CPU per answer (1.3 + 0.3 cores)`."""
        if answers <= 0 or self.wall_seconds <= 0:
            return "CPU per answer: no answer"
        return (
            f"CPU per answer: workers {1000 * self.worker_seconds / answers:.1f} ms"
            f" + PostgreSQL {1000 * self.postgres_seconds / answers:.1f} ms"
            f" ({self.worker_seconds / self.wall_seconds:.2f}"
            f" + {self.postgres_seconds / self.wall_seconds:.2f} cores busy)"
        )
