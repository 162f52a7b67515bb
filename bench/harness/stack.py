"""What a bench run starts: a fresh database, Redis, anvil, `hotpot serve`, the baseline app.

Everything lives in a temporary folder and on free loopback ports, and is stopped (and the
database dropped) on exit. With DATABASE_URL / REDIS_URL set, the run creates a database
of its own on that server (never the developer's data) and a Redis namespace of its own;
without them it starts embedded PostgreSQL and Redis, as `hotpot serve` would.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

from hotpot.adapters.embedded import EmbeddedPostgres, EmbeddedRedis, free_port, wait_for_port
from hotpot.chain.anvil import anvil_binary

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin"
BLOCK_TIME_SECONDS = 2
# Compiled contracts outlive a run (the compiler keys its cache by source), so a run does
# not spend a minute of both cores compiling Vyper before it can measure anything.
COMPILED = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "hotpot" / "bench-vyper"
# A local development value (the server runs with HOTPOT_ENV=development, which is the
# only environment that accepts it); the bench signs its customers' tokens with it.
BENCH_JWT_SECRET = "bench-only-jwt-secret-not-for-production-000"


def plain_url(url: str) -> str:
    """libpq form (pgbench, asyncpg) of a SQLAlchemy-style URL."""
    return url.replace("postgresql+asyncpg://", "postgresql://")


def with_database(url: str, database: str) -> str:
    base, _, _ = plain_url(url).rpartition("/")
    return f"{base}/{database}"


async def admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(plain_url(url))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def wait_http(url: str, timeout: float, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def stop_process(process: subprocess.Popen[bytes] | None, timeout: float = 20) -> None:
    if process is None or process.poll() is not None:
        return
    # Each server runs in a session of its own: signal its whole group (uvicorn workers).
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


def _enterable_folder(prefix: str) -> Path:
    """A fresh temporary folder others may enter (not list): run as root, the embedded
    PostgreSQL runs as an unprivileged account that must reach its data folder inside."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    folder.chmod(0o711)
    return folder


@dataclass
class Stack:
    workers: int = 2
    with_chain: bool = True
    folder: Path = field(default_factory=lambda: _enterable_folder("hotpot-bench-"))
    database_url: str = ""  # libpq form
    redis_url: str = ""
    namespace: str = field(default_factory=lambda: f"bench-{uuid.uuid4().hex[:8]}")
    chain_url: str = ""
    port: int = 0
    baseline_port: int = 0
    serve: subprocess.Popen[bytes] | None = None
    baseline: subprocess.Popen[bytes] | None = None
    anvil: subprocess.Popen[bytes] | None = None
    relay: subprocess.Popen[bytes] | None = None  # `hotpot worker`, with a chain
    extra_env: dict[str, str] = field(default_factory=dict)  # more for `hotpot serve`
    _server_url: str = ""
    _database: str = ""
    _embedded: list[EmbeddedPostgres | EmbeddedRedis] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def baseline_url(self) -> str:
        return f"http://127.0.0.1:{self.baseline_port}"

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    def credentials(self) -> dict[str, object]:
        loaded = json.loads((self.data_dir / "demo-credentials.json").read_text())
        assert isinstance(loaded, dict)
        return loaded

    # -- dependencies ------------------------------------------------------------------
    def _start_database(self) -> None:
        server = os.environ.get("DATABASE_URL")
        if not server:
            postgres = EmbeddedPostgres(self.folder / "postgres")
            server = postgres.start()
            self._embedded.append(postgres)
        self._server_url = plain_url(server)
        self._database = f"hotpot_bench_{uuid.uuid4().hex[:10]}"
        import asyncio

        asyncio.run(admin(self._server_url, f'CREATE DATABASE "{self._database}"'))
        self.database_url = with_database(self._server_url, self._database)

    def _start_redis(self) -> None:
        configured = os.environ.get("REDIS_URL")
        if configured:
            self.redis_url = configured
            return
        redis = EmbeddedRedis(self.folder / "redis")
        self.redis_url = redis.start(persist=False)
        self._embedded.append(redis)

    def _start_chain(self) -> None:
        port = free_port()
        self.anvil = subprocess.Popen(
            [
                str(anvil_binary()),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--block-time",
                str(BLOCK_TIME_SECONDS),
                "--silent",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        if not wait_for_port(port, 30):
            raise RuntimeError("anvil did not start listening")
        self.chain_url = f"http://127.0.0.1:{port}"

    # -- servers -----------------------------------------------------------------------
    def server_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTPOT_", "PROMETHEUS"))}
        env.update(
            {
                "HOTPOT_ENV": "development",
                "HOTPOT_DATA_DIR": str(self.data_dir),
                "HOTPOT_EMBEDDED": "false",
                "DATABASE_URL": self.database_url,
                "REDIS_URL": self.redis_url,
                "REDIS_NAMESPACE": self.namespace,
                "JWT_SECRET": BENCH_JWT_SECRET,
                "LOG_LEVEL": "WARNING",
                # The bench's customers are many and fast: per-customer limits would cap
                # the figure being measured, not the service.
                "RATE_LIMIT_ORDERS_PER_MINUTE": "100000000",
                "RATE_LIMIT_LOGIN_PER_MINUTE": "100000",
                "ACCESS_TOKEN_TTL_SECONDS": "86400",
            }
        )
        env.update(self.extra_env)
        env.pop("CHAIN_RPC_URLS", None)
        if self.chain_url:
            env["CHAIN_RPC_URLS"] = self.chain_url
            # The relay runs as `hotpot worker`, as in the stack and in production: the API
            # workers measured are the ones that serve requests only.
            env["SETTLEMENT_RELAY_IN_PROCESS"] = "false"
        return env

    @property
    def vyper_cache(self) -> Path:
        return self.data_dir / "cache" / "vyper"

    def keep_compiled(self) -> None:
        if self.vyper_cache.is_dir():
            shutil.copytree(self.vyper_cache, COMPILED, dirs_exist_ok=True)

    def serve_log_tail(self, chars: int = 4000) -> str:
        log = self.folder / "serve.log"
        text = log.read_text(errors="replace") if log.exists() else ""
        return f"bench: the last of serve.log:\n{text[-chars:]}"

    def _start_serve(self) -> None:
        if COMPILED.is_dir() and not self.vyper_cache.exists():
            shutil.copytree(COMPILED, self.vyper_cache)
        self.port = free_port()
        log = (self.folder / "serve.log").open("wb")
        self.serve = subprocess.Popen(
            [
                str(VENV_BIN / "hotpot"),
                "serve",
                "--workers",
                str(self.workers),
                "--port",
                str(self.port),
            ],
            env=self.server_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=ROOT,
        )
        try:
            wait_http(f"{self.url}/health", 180, self.serve)
        except RuntimeError:
            print((self.folder / "serve.log").read_text()[-3000:])
            raise

    def start_baseline(self, menus: dict[str, tuple[bytes, str]], health_body: bytes) -> None:
        """The bare Starlette app on uvicorn with the same worker count and the same bytes.

        `menus` maps MENU (no node) and NODE_MENU (with node_id) to (body, ETag).
        """
        env = dict(os.environ)
        for key, (body, etag) in menus.items():
            (self.folder / f"{key}.json").write_bytes(body)
            env[f"BENCH_{key}_FILE"] = str(self.folder / f"{key}.json")
            env[f"BENCH_{key}_ETAG"] = etag
        (self.folder / "health.json").write_bytes(health_body)
        env["BENCH_HEALTH_FILE"] = str(self.folder / "health.json")
        env["PYTHONPATH"] = str(ROOT / "bench")
        self.baseline_port = free_port()
        self.baseline = subprocess.Popen(
            [
                str(VENV_BIN / "uvicorn"),
                "baseline_app:app",
                "--port",
                str(self.baseline_port),
                "--workers",
                str(self.workers),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            cwd=ROOT / "bench",
        )
        wait_http(f"{self.baseline_url}/health", 60, self.baseline)

    def _start_relay(self) -> None:
        log = (self.folder / "relay.log").open("wb")
        self.relay = subprocess.Popen(
            [str(VENV_BIN / "hotpot"), "worker", "--metrics-port", "0"],
            env=self.server_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=ROOT,
        )

    def restart_serve(self) -> None:
        stop_process(self.serve)
        self._start_serve()

    def __enter__(self) -> Stack:
        try:
            self._start_database()
            self._start_redis()
            if self.with_chain:
                self._start_chain()
            self._start_serve()  # migrates and seeds: the relay starts on what it made
            if self.with_chain:
                self._start_relay()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        for process in (self.baseline, self.relay, self.serve, self.anvil):
            stop_process(process)
        if self._database:
            import asyncio

            with contextlib.suppress(Exception):
                asyncio.run(
                    admin(
                        self._server_url, f'DROP DATABASE IF EXISTS "{self._database}" WITH (FORCE)'
                    )
                )
        for server in reversed(self._embedded):
            with contextlib.suppress(Exception):
                server.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def worker_pids(serve: subprocess.Popen[bytes]) -> list[int]:
    """The uvicorn worker processes of `hotpot serve --workers N` (spawned children)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found = []
    for pid in children.get(serve.pid, []):
        with contextlib.suppress(OSError):
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"spawn_main" in cmdline:
                found.append(pid)
    return sorted(found)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
