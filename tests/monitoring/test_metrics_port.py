"""/metrics off the public port (issue 10, item 9): `hotpot serve` in production mode.

A real `hotpot serve --workers 2` with production settings: the public port answers 404
on /metrics, while METRICS_PORT serves every worker's requests aggregated in one answer.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from hotpot.config import Settings
from tests.monitoring.monitoring_support import REPO

STARTUP_TIMEOUT = 60.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _hotpot() -> str:
    project = REPO / ".venv" / "bin" / "hotpot"
    return str(project if project.exists() else Path(sys.executable).parent / "hotpot")


def production_env(database_url: str, redis_url: str, data_dir: Path) -> dict[str, str]:
    """Production settings with throwaway secrets (what the Helm chart's Secret holds)."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "REDIS"))}
    keep.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return {
        **keep,
        "HOTPOT_ENV": "production",
        "HOTPOT_EMBEDDED": "false",
        "HOTPOT_DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "REDIS_NAMESPACE": f"metrics-port-{os.getpid()}",
        "JWT_SECRET": "metrics-port-test-jwt-secret-" + "x" * 16,
        "ENCRYPTION_KEY": "bWV0cmljcy1wb3J0LXRlc3QtZW5jcnlwdGlvbi1rZXk=",
        "RECEIPT_CODE_SECRET": "metrics-port-test-receipt-secret-" + "y" * 8,
        "OWNER_ADDRESS": "0x" + "11" * 20,
        "CHARITY_ADDRESS": "0x" + "22" * 20,
        "CUSTODY_ADDRESS": "0x" + "33" * 20,
        "PUBLIC_BASE_URL": "https://api.example.test",
        "LOG_LEVEL": "WARNING",
    }


def _wait(what: str, check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Served:
    public: str
    metrics: str
    multiproc: Path
    health_answers: int = 0


@pytest.fixture(scope="module")
def served(
    fresh_database: Callable[[], str], redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("metrics-port")
    port, metrics_port = _free_port(), _free_port()
    env = production_env(fresh_database(), redis_url, root / "data")
    env.update(
        PORT=str(port),
        METRICS_PORT=str(metrics_port),
        PROMETHEUS_MULTIPROC_DIR=str(root / "multiproc"),
    )
    (root / "multiproc").mkdir()
    log = root / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [_hotpot(), "serve", "--workers", "2"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=root,
            start_new_session=True,
        )
    served = Served(
        f"http://127.0.0.1:{port}", f"http://127.0.0.1:{metrics_port}", root / "multiproc"
    )

    def healthy() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"serve exited {process.returncode}:\n{log.read_text()[-3000:]}")
        status = httpx.get(f"{served.public}/health", timeout=2).status_code
        served.health_answers += 1
        return status == 200

    try:
        _wait("the public port's /health", healthy, STARTUP_TIMEOUT)
        yield served
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)


def _health_count(text: str) -> float:
    pattern = r'^http_requests_total\{[^}]*path="/health"[^}]*status="200"[^}]*\} (\S+)$'
    return sum(float(m) for m in re.findall(pattern, text, re.M))


def test_the_public_port_has_no_metrics_in_production(served: Served) -> None:
    answer = httpx.get(f"{served.public}/metrics", timeout=5)
    assert answer.status_code == 404, answer.text[:300]
    assert "http_requests_total" not in answer.text
    assert "/metrics" not in httpx.get(f"{served.public}/openapi.json", timeout=5).json()["paths"]


def test_an_idle_connection_outlives_uvicorns_default_keep_alive(served: Served) -> None:
    """nginx keeps idle upstream connections 60 s; uvicorn's own default closed them after
    5 s, racing nginx's reuse (HTTP_KEEPALIVE_SECONDS, 75 s by default)."""
    host, port = served.public.removeprefix("http://").split(":")
    request = f"GET /health HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(request)
        assert conn.recv(4096).startswith(b"HTTP/1.1 200")
        served.health_answers += 1  # the aggregation test below counts every /health
        closed_at = time.monotonic() + 6.5  # past uvicorn's default of 5 s
        conn.settimeout(0.5)
        while time.monotonic() < closed_at:
            try:
                assert conn.recv(1) != b"", "the server closed the idle connection"
            except TimeoutError:
                continue  # still open, nothing to read: the idle state being measured
        conn.settimeout(5)
        conn.sendall(request)
        assert conn.recv(4096).startswith(b"HTTP/1.1 200")
        served.health_answers += 1


def test_the_metrics_port_serves_every_worker_aggregated(served: Served) -> None:
    def pids() -> set[str]:
        return {p.stem.rsplit("_", 1)[1] for p in served.multiproc.glob("counter_*.db")}

    # A fresh connection per request, until both uvicorn workers have answered some (each
    # writes its own files): which worker accepts a connection is up to the kernel.
    deadline = time.monotonic() + 60
    while len(pids()) < 2 or served.health_answers < 40:
        assert time.monotonic() < deadline, sorted(p.name for p in served.multiproc.iterdir())
        with httpx.Client(base_url=served.public, timeout=5) as http:
            assert http.get("/health").status_code == 200
        served.health_answers += 1
    # ... and a scrape of METRICS_PORT counts every one of them, once each worker has
    # written its tallies (within a second: telemetry/metrics.py).
    deadline = time.monotonic() + 10
    while True:
        answer = httpx.get(f"{served.metrics}/metrics", timeout=5)
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/plain")
        counted = _health_count(answer.text)
        assert counted <= served.health_answers, answer.text[:2000]
        if counted == served.health_answers or time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    assert counted == served.health_answers, answer.text[:2000]


def test_a_taken_metrics_port_is_named(
    fresh_database: Callable[[], str], redis_url: str, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = production_env(fresh_database(), redis_url, tmp_path / "data")
        env.update(PORT=str(_free_port()), METRICS_PORT=str(port))
        done = subprocess.run(
            [_hotpot(), "serve"], env=env, capture_output=True, text=True, timeout=120, check=False
        )
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"metrics port 127.0.0.1:{port} is taken" in done.stderr, done.stderr
    assert "METRICS_PORT" in done.stderr


def test_metrics_port_defaults() -> None:
    env = production_env("postgresql://u@127.0.0.1/db", "redis://127.0.0.1/0", Path("/tmp"))
    fields = {k.lower(): v for k, v in env.items() if k.lower() in Settings.model_fields}
    production = Settings(**fields)  # type: ignore[arg-type]
    assert (production.metrics_listener_port, production.metrics_on_api_port) == (9101, False)
    development = Settings(hotpot_env="development")  # type: ignore[arg-type]
    assert (development.metrics_listener_port, development.metrics_on_api_port) == (0, True)
    moved = Settings(hotpot_env="development", metrics_port=9300)  # type: ignore[arg-type]
    assert (moved.metrics_listener_port, moved.metrics_on_api_port) == (9300, False)
    with pytest.raises(ValidationError, match="METRICS_PORT must differ from PORT"):
        Settings(hotpot_env="development", metrics_port=8080, port=8080)  # type: ignore[arg-type]
