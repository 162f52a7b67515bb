"""End to end: a real Prometheus scrapes a real `hotpot serve` (two worker processes) on
its METRICS_PORT listener, which aggregates both workers.

Traffic: 200s (/health), 404s (an unknown path) and real 5xx: /ready answers 503 when the
primary does not answer within 500 ms, which we cause by pausing (SIGSTOP) the embedded
PostgreSQL server for a few seconds, then resuming it. Then the DevOps guide's queries are
asked through Prometheus's HTTP API, and the project's own alert rules are evaluated by it.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.monitoring.monitoring_support import PROMETHEUS_DIR, REPO

JOB = "thehotpotspot-api"  # the job name the alert rules select
SCRAPE_SECONDS = 1
STARTUP_TIMEOUT = 45.0
READY_503_COUNT = 8
GUIDE_RATE = "rate(http_requests_total[5m])"
GUIDE_P95 = "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))"
GUIDE_5XX = 'rate(http_requests_total{status=~"5.."}[5m])'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until(what: str, check: Any, timeout: float, interval: float = 0.25) -> Any:
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except (httpx.HTTPError, AssertionError, KeyError) as exc:
            last_error = exc
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what} (last error: {last_error!r})")


def _stop(process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """SIGTERM (the API then stops its embedded servers), SIGKILL if it does not exit."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# --- the API under test -------------------------------------------------------------------
@dataclass
class Api:
    url: str
    data_dir: Path
    log: Path
    metrics_url: str

    def postgres_pids(self) -> list[int]:
        """The embedded server's postmaster and its backends (they serve pooled connections)."""
        pid_file = next(self.data_dir.rglob("postmaster.pid"))
        postmaster = int(pid_file.read_text().split()[0])
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == postmaster:
                    children.append(int(stat.parent.name))
        return [postmaster, *children]


def _hotpot_command() -> list[str]:
    # The project's venv (what `./dev serve` runs), else the one running these tests.
    project = REPO / ".venv" / "bin" / "hotpot"
    command = project if project.exists() else Path(sys.executable).parent / "hotpot"
    return [str(command), "serve", "--workers", "2"]


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    # Not under pytest's 0700 temp root: as root, the embedded PostgreSQL runs as an
    # unprivileged account that must be able to reach its data folder.
    root = Path(tempfile.mkdtemp(prefix="hotpot-e2e-"))
    root.chmod(0o755)
    port, metrics_port = _free_port(), _free_port()
    configured = {"DATABASE_URL", "DATABASE_REPLICA_URL", "REDIS_URL", "PROMETHEUS_MULTIPROC_DIR"}
    env = {k: v for k, v in os.environ.items() if k not in configured}
    env.update(
        HOTPOT_DATA_DIR=str(root / "data"),
        PORT=str(port),
        # As in production: Prometheus scrapes the metrics listener, not the API port.
        METRICS_PORT=str(metrics_port),
        HOTPOT_ENV="development",
        LOG_LEVEL="warning",
        PROMETHEUS_MULTIPROC_DIR=str(root / "prom-multiproc"),
    )
    (root / "prom-multiproc").mkdir()
    log = root / "api.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            _hotpot_command(), env=env, stdout=out, stderr=subprocess.STDOUT, cwd=root
        )
    api = Api(f"http://127.0.0.1:{port}", root / "data", log, f"http://127.0.0.1:{metrics_port}")
    try:
        _wait_until(
            "the API's /health",
            lambda: process.poll() is None and httpx.get(f"{api.url}/health").status_code == 200,
            STARTUP_TIMEOUT,
        )
    except AssertionError:
        _stop(process)
        _stop_leftover_postgres(api.data_dir)
        raise AssertionError(f"API did not start; log:\n{log.read_text()[-4000:]}") from None
    yield api
    _stop(process)
    _stop_leftover_postgres(api.data_dir)
    shutil.rmtree(root, ignore_errors=True)


def _stop_leftover_postgres(data_dir: Path) -> None:
    """If the API had to be killed, its embedded PostgreSQL (a daemon) may still run."""
    for pid_file in data_dir.rglob("postmaster.pid"):
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGTERM)


# --- Prometheus -----------------------------------------------------------------------------
@dataclass
class Prometheus:
    url: str

    def query(self, promql: str) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.url}/api/v1/query", params={"query": promql}, timeout=10)
        # Until its storage is loaded Prometheus answers 503 with a plain-text body.
        assert response.status_code == 200, response.text[:200]
        body = response.json()
        assert body["status"] == "success", body
        return list(body["data"]["result"])

    def alerts(self) -> list[dict[str, Any]]:
        body = httpx.get(f"{self.url}/api/v1/alerts", timeout=10).json()
        return list(body["data"]["alerts"])


@pytest.fixture(scope="module")
def prometheus(
    api: Api, monitoring_tools: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Prometheus]:
    root = tmp_path_factory.mktemp("prometheus-e2e")
    config = {
        "global": {
            "scrape_interval": f"{SCRAPE_SECONDS}s",
            "scrape_timeout": f"{SCRAPE_SECONDS}s",
            "evaluation_interval": f"{SCRAPE_SECONDS}s",
        },
        # the project's real alert rules, evaluated against the real series
        "rule_files": [str(p) for p in sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))],
        "scrape_configs": [
            {"job_name": JOB, "static_configs": [{"targets": [api.metrics_url.split("//")[1]]}]}
        ],
    }
    (root / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = _free_port()
    log = (root / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [
            monitoring_tools["prometheus"],
            f"--config.file={root / 'prometheus.yml'}",
            f"--storage.tsdb.path={root / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    prom = Prometheus(f"http://127.0.0.1:{port}")
    try:
        _wait_until(
            "Prometheus to be ready",
            lambda: httpx.get(f"{prom.url}/-/ready", timeout=2).status_code == 200,
            30,
        )
        _wait_until(
            "Prometheus to scrape the API",
            lambda: [s for s in prom.query(f'up{{job="{JOB}"}}') if s["value"][1] == "1"],
            30,
        )
        yield prom
    finally:
        _stop(process)
        log.close()


# --- traffic --------------------------------------------------------------------------------
@contextlib.contextmanager
def _paused(pids: list[int]) -> Iterator[None]:
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


@pytest.fixture(scope="module")
def traffic(api: Api, prometheus: Prometheus) -> Counter[tuple[str, int]]:
    """Requests sent, by (path, status), spread over several scrapes."""
    sent: Counter[tuple[str, int]] = Counter()

    def hit(client: httpx.Client, path: str) -> None:
        sent[(path, client.get(path).status_code)] += 1

    with httpx.Client(base_url=api.url, timeout=10) as client:
        for _ in range(12):
            hit(client, "/health")
            hit(client, "/health")
            hit(client, "/no-such-route")
            time.sleep(0.25)
        with _paused(api.postgres_pids()):
            for _ in range(READY_503_COUNT):
                hit(client, "/ready")  # waits its 500 ms, then 503
                time.sleep(0.1)
        for _ in range(4):
            hit(client, "/health")
            time.sleep(0.25)
    assert sent[("/ready", 503)] == READY_503_COUNT, sent
    return sent


def _count(prometheus: Prometheus, selector: str) -> float:
    return sum(float(s["value"][1]) for s in prometheus.query(f"sum({selector})"))


def test_prometheus_sees_every_request_across_both_workers(
    prometheus: Prometheus, traffic: Counter[tuple[str, int]]
) -> None:
    # Before our traffic the API answered only /health polls; those are counted too, so
    # compare what Prometheus holds once the last scrape caught up with the sum we expect.
    sent_404 = traffic[("/no-such-route", 404)]
    health_selector = 'http_requests_total{path="/health",status="200"}'

    def caught_up() -> bool:
        # The last /health calls come after the 404s and 503s: wait for them too.
        return (
            _count(prometheus, 'http_requests_total{status="503"}') == READY_503_COUNT
            and _count(prometheus, 'http_requests_total{status="404"}') == sent_404
            and _count(prometheus, health_selector) >= traffic[("/health", 200)]
        )

    _wait_until("the last scrape to include all traffic", caught_up, 15)
    health = _count(prometheus, health_selector)
    assert health >= traffic[("/health", 200)]  # plus the start-up polls


def test_the_guides_request_rate_query(
    prometheus: Prometheus, traffic: Counter[tuple[str, int]]
) -> None:
    series = prometheus.query(GUIDE_RATE)
    by_status: dict[str, float] = {}
    for s in series:
        assert s["metric"]["job"] == JOB
        assert {"method", "path", "status", "instance"} <= set(s["metric"])
        by_status[s["metric"]["status"]] = by_status.get(s["metric"]["status"], 0) + float(
            s["value"][1]
        )
    assert by_status["200"] > 0
    assert by_status["404"] > 0
    assert by_status["503"] > 0
    health = [s for s in series if s["metric"]["path"] == "/health"]
    assert health and all(s["metric"]["method"] == "GET" for s in health)


def test_the_guides_p95_latency_query(
    prometheus: Prometheus, traffic: Counter[tuple[str, int]]
) -> None:
    (series,) = prometheus.query(GUIDE_P95)
    assert series["metric"] == {}  # summed by le: one service-wide p95
    p95 = float(series["value"][1])
    assert math.isfinite(p95)
    # More than 5% of requests were 503s that waited 500 ms for the paused database.
    assert 0.25 <= p95 <= 10, p95


def test_the_5xx_rate_query(prometheus: Prometheus, traffic: Counter[tuple[str, int]]) -> None:
    series = prometheus.query(GUIDE_5XX)
    assert series, "no 5xx series although the API answered 503"
    assert {(s["metric"]["path"], s["metric"]["status"]) for s in series} == {("/ready", "503")}
    assert sum(float(s["value"][1]) for s in series) > 0
    # the alert rule's form: 5xx as a share of all requests
    (share,) = prometheus.query(
        f'sum(rate(http_requests_total{{job="{JOB}",status=~"5.."}}[5m]))'
        f' / sum(rate(http_requests_total{{job="{JOB}"}}[5m]))'
    )
    assert 0 < float(share["value"][1]) < 1


def test_the_alert_rules_run_on_real_series(
    prometheus: Prometheus, traffic: Counter[tuple[str, int]]
) -> None:
    # A 5xx share this high starts HighErrorRate's 5-minute `for`: it is pending, not firing.
    alerts = _wait_until(
        "HighErrorRate to go pending",
        lambda: [a for a in prometheus.alerts() if a["labels"]["alertname"] == "HighErrorRate"],
        10,
    )
    (high_error,) = alerts
    assert high_error["state"] == "pending"
    assert high_error["labels"]["job"] == JOB
    names = {a["labels"]["alertname"] for a in prometheus.alerts()}
    assert "ApiInstanceDown" not in names and "ApiNoInstanceUp" not in names
