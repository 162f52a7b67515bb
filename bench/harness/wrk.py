"""Running wrk with one of bench/lua/*.lua and reading the JSON its done() prints."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

LUA = Path(__file__).resolve().parents[1] / "lua"


@dataclass(frozen=True)
class Load:
    """How hard to push: wrk threads, open connections, seconds, and a per-connection pause."""

    threads: int = 2
    connections: int = 16
    seconds: float = 5
    delay_ms: float = 0  # > 0: each connection waits this long between requests


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    failed: int  # HTTP status >= 400 and socket errors
    p50_ms: float
    p99_ms: float

    @property
    def answers(self) -> int:
        """Successful answers (2xx/3xx)."""
        return max(self.requests - self.failed, 0)

    @property
    def ok_per_second(self) -> float:
        return self.answers / self.seconds if self.seconds else 0.0


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is not installed: run tools/bench-tools.sh")
    return found


def run(url: str, script: str, load: Load, env: dict[str, str] | None = None) -> WrkResult:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as combined:
        combined.write((LUA / "common.lua").read_text())
        combined.write((LUA / script).read_text())
    environment = dict(os.environ)
    environment.update(env or {})
    environment["BENCH_THREADS"] = str(load.threads)
    environment.setdefault("BENCH_NONCE", uuid.uuid4().hex[:12])
    if load.delay_ms > 0:
        environment["BENCH_DELAY_MS"] = str(max(int(load.delay_ms), 1))
    try:
        completed = subprocess.run(
            [
                wrk_binary(),
                "-t",
                str(load.threads),
                "-c",
                str(max(load.connections, load.threads)),
                "-d",
                f"{max(load.seconds, 1):.0f}s",
                "--timeout",
                "10s",
                "-s",
                combined.name,
                url,
            ],
            env=environment,
            capture_output=True,
            text=True,
            timeout=load.seconds + 60,
            check=False,
        )
    finally:
        Path(combined.name).unlink(missing_ok=True)
    line = next((ln for ln in completed.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if completed.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed on {url}: {completed.stdout[-800:]} {completed.stderr}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    failed = sum(raw[k] for k in ("status", "connect", "read", "write", "timeout"))
    return WrkResult(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        failed=failed,
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
    )
