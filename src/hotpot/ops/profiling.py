"""Profiling endpoints: the DevOps guide's /debug/pprof, done the Python way.

- `GET /debug/profile?seconds=N`: CPU profile of the whole process (every thread, the event
  loop's included) over N seconds, taken with yappi, which attributes time to coroutines
  correctly across `await`s. Text (default), `pstat` (load with `python -m pstats` or
  snakeviz) or `callgrind` (kcachegrind).
- `GET /debug/heap`: top allocations from a tracemalloc snapshot, optionally as the growth
  since the previous call (for leak hunting). Tracing starts when the router is built,
  i.e. when profiling is enabled, since tracemalloc only sees allocations made after it.
- `GET /debug/tasks`: every asyncio task of the event loop with its current stack.

Each answers for the one worker process that served the request (its pid is in the
`X-Profiled-Pid` header). The caller mounts the router only when profiling is enabled and
passes the owner-only dependency, which guards every route.
"""

from __future__ import annotations

import asyncio
import importlib
import io
import os
import tempfile
import tracemalloc
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from fastapi.responses import PlainTextResponse

PID_HEADER = "X-Profiled-Pid"
TRACEMALLOC_FRAMES = 10  # deep enough to see who called the allocator, cheap enough to leave on
# Column widths for yappi's text table: names are "path:line function", longer than its default.
_TEXT_COLUMNS = {0: ("name", 100), 1: ("ncall", 9), 2: ("tsub", 9), 3: ("ttot", 9), 4: ("tavg", 9)}


class ProfileFormat(StrEnum):
    TEXT = "text"
    PSTAT = "pstat"
    CALLGRIND = "callgrind"


class ProfileClock(StrEnum):
    CPU = "cpu"
    WALL = "wall"


class HeapGrouping(StrEnum):
    LINENO = "lineno"
    FILENAME = "filename"
    TRACEBACK = "traceback"


def _yappi() -> Any:
    # Imported on first use: only a process with profiling enabled and used pays for it.
    return importlib.import_module("yappi")


def _pid_headers() -> dict[str, str]:
    return {PID_HEADER: str(os.getpid())}


# --- CPU profile ------------------------------------------------------------------------
class _CpuProfiler:
    """One yappi session at a time per process (yappi's state is global)."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()

    async def profile(self, seconds: int, clock: ProfileClock, fmt: ProfileFormat) -> Response:
        yappi = _yappi()
        if self._lock.locked() or yappi.is_running():
            raise HTTPException(status_code=409, detail="a profile is already being taken")
        async with self._lock:
            yappi.clear_stats()
            yappi.set_clock_type(clock.value)
            yappi.start(builtins=False, profile_threads=True)
            try:
                await asyncio.sleep(seconds)
            finally:
                yappi.stop()
            stats = yappi.get_func_stats()
            try:
                return self._render(stats, seconds, clock, fmt)
            finally:
                yappi.clear_stats()

    @staticmethod
    def _render(stats: Any, seconds: int, clock: ProfileClock, fmt: ProfileFormat) -> Response:
        if fmt is ProfileFormat.TEXT:
            out = io.StringIO()
            out.write(f"# pid {os.getpid()}: {clock.value} time over {seconds}s, by own time\n")
            stats.sort("tsub", "desc").print_all(out=out, columns=_TEXT_COLUMNS)
            return PlainTextResponse(out.getvalue(), headers=_pid_headers())
        # yappi writes these formats only to a file path.
        with tempfile.TemporaryDirectory(prefix="hotpot-profile-") as folder:
            path = Path(folder) / f"profile.{fmt.value}"
            stats.save(str(path), type=fmt.value)
            body = path.read_bytes()
        filename = f"hotpot-{os.getpid()}.{fmt.value}"
        headers = {**_pid_headers(), "Content-Disposition": f'attachment; filename="{filename}"'}
        return Response(body, media_type="application/octet-stream", headers=headers)


# --- heap -------------------------------------------------------------------------------
class _HeapInspector:
    def __init__(self) -> None:
        self._previous: tracemalloc.Snapshot | None = None
        if not tracemalloc.is_tracing():
            tracemalloc.start(TRACEMALLOC_FRAMES)

    def report(self, limit: int, group_by: HeapGrouping, compare: bool) -> str:
        if not tracemalloc.is_tracing():
            raise HTTPException(status_code=409, detail="tracemalloc was stopped in this process")
        snapshot = tracemalloc.take_snapshot().filter_traces(
            (tracemalloc.Filter(False, tracemalloc.__file__),)
        )
        current, peak = tracemalloc.get_traced_memory()
        lines = [
            f"# pid {os.getpid()}: traced {current} bytes now, peak {peak} bytes",
        ]
        previous, self._previous = self._previous, snapshot
        if compare and previous is not None:
            lines.append(f"# top {limit} growth since the previous /debug/heap, by {group_by}")
            diffs = snapshot.compare_to(previous, group_by.value)[:limit]
            lines.extend(_format_stat(d, f"{d.size_diff:+}", f"{d.count_diff:+}") for d in diffs)
        else:
            if compare:
                lines.append("# no previous snapshot yet: this one is kept for the next call")
            lines.append(f"# top {limit} allocations, by {group_by}")
            stats = snapshot.statistics(group_by.value)[:limit]
            lines.extend(_format_stat(s, str(s.size), str(s.count)) for s in stats)
        return "\n".join(lines) + "\n"


def _format_stat(
    stat: tracemalloc.Statistic | tracemalloc.StatisticDiff, size: str, count: str
) -> str:
    where = "\n    ".join(stat.traceback.format())
    return f"{size:>12} B {count:>8} blocks  {where}"


# --- tasks ------------------------------------------------------------------------------
def _task_dump(task: asyncio.Task[Any]) -> dict[str, Any]:
    out = io.StringIO()
    task.print_stack(file=out)
    coro = task.get_coro()
    return {
        "name": task.get_name(),
        "coroutine": getattr(coro, "__qualname__", repr(coro)),
        "state": "cancelling" if task.cancelling() else "pending",
        "stack": out.getvalue().splitlines(),
    }


def running_tasks() -> list[dict[str, Any]]:
    """Every unfinished task of the running loop, the caller's own included."""
    tasks = [t for t in asyncio.all_tasks() if not t.done()]
    return [_task_dump(t) for t in sorted(tasks, key=lambda t: t.get_name())]


# --- router -----------------------------------------------------------------------------
def profiling_router(require_owner: Callable[..., Any]) -> APIRouter:
    """Routes under /debug, every one behind `require_owner`. Starts tracemalloc."""
    router = APIRouter(prefix="/debug", tags=["profiling"], dependencies=[Depends(require_owner)])
    cpu = _CpuProfiler()
    heap = _HeapInspector()

    @router.get("/profile", summary="CPU profile of this process over N seconds")
    async def profile(
        seconds: Annotated[int, Query(ge=1, le=60)] = 10,
        clock: ProfileClock = ProfileClock.CPU,
        fmt: Annotated[ProfileFormat, Query(alias="format")] = ProfileFormat.TEXT,
    ) -> Response:
        return await cpu.profile(seconds, clock, fmt)

    @router.get("/heap", summary="Top allocations traced by tracemalloc")
    async def heap_snapshot(
        limit: Annotated[int, Query(ge=1, le=500)] = 25,
        group_by: HeapGrouping = HeapGrouping.LINENO,
        compare: bool = False,
    ) -> PlainTextResponse:
        # Taking a snapshot walks every trace: off the event loop.
        report = await asyncio.to_thread(heap.report, limit, group_by, compare)
        return PlainTextResponse(report, headers=_pid_headers())

    @router.get("/tasks", summary="Running asyncio tasks with their stacks")
    async def tasks(response: Response) -> dict[str, Any]:
        response.headers.update(_pid_headers())
        dump = running_tasks()
        return {"pid": os.getpid(), "count": len(dump), "tasks": dump}

    return router
