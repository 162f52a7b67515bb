"""The production-shaped stack of the DevOps guide on loopback, from real servers.

    python tools/stack/stack.py up | down | status | logs NAME | start NAME | stop NAME

(`./dev stack ...` runs it with the project's venv after tools/stack-tools.sh installed the
servers). Everything lives in one folder (STACK_DIR, default `.hotpot/stack`): data,
generated secrets, rendered configuration, logs (`logs/NAME.log`) and pid files
(`run/NAME.pid`). Every piece listens on 127.0.0.1 at a fixed offset from STACK_BASE_PORT
(default 18400). `down` stops only the processes named by the pid files; a second `up`
reuses the data. docs/devops.md ("The local stack") lists every address.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent
PG_BIN = Path(os.environ.get("STACK_PG_BIN", "/usr/lib/postgresql/15/bin"))
DEFAULT_BASE_PORT = 18400
DB_NAME = "thehotpotspot"
DB_USER = "hotpot"
CHAIN_ID = 31337
RELAY_FUNDING_WEI = 10_000 * 10**18

# Offsets from the base port: one table, so the docs and `status` cannot disagree.
OFFSETS: dict[str, int] = {
    "nginx-https": 0,
    "nginx-http": 1,
    "api-1": 10,
    "api-2": 11,
    "api-3": 12,
    # Each API's /metrics listener (METRICS_PORT): off the public port nginx proxies.
    "api-1-metrics": 13,
    "api-2-metrics": 14,
    "api-3-metrics": 15,
    "postgres": 20,
    "postgres-replica": 21,
    "redis": 30,
    "chain": 40,
    "chain-rpc-a": 41,
    "chain-rpc-b": 42,
    "ipfs": 50,
    "ipfs-gateway": 51,
    "worker-1": 60,
    "worker-2": 61,
    "prometheus": 70,
    "alertmanager": 71,
    "alert-relay": 72,
    "postgres-exporter": 80,
    "redis-exporter": 81,
    "node-exporter": 82,
    "s3": 90,
}
API_NAMES = ("api-1", "api-2", "api-3")
# What the stack waits on, as Kubernetes' readiness probes do (k8s/api.yaml, k8s/relay.yaml);
# tests/drills/test_stack_matches_compose.py holds them to the manifests.
API_PROBE = "/ready"
WORKER_PROBE = "/metrics"
REPLICA_CHECK = "select pg_is_in_recovery()"
WORKER_NAMES = ("worker-1", "worker-2")


class StackError(RuntimeError):
    """The stack cannot do what was asked; the message says why."""


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    """Poll `check` until it holds or `timeout` seconds passed."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(Exception):
            if check():
                return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def _random_address() -> str:
    return "0x" + secrets.token_hex(20)


def new_secrets() -> dict[str, str]:
    """Every credential the stack uses, generated once per stack folder."""
    from eth_account import Account

    relay = Account.create()
    return {
        "JWT_SECRET": secrets.token_urlsafe(48),
        "ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "RECEIPT_CODE_SECRET": secrets.token_urlsafe(48),
        "POSTGRES_PASSWORD": secrets.token_urlsafe(24),
        "REPLICATION_PASSWORD": secrets.token_urlsafe(24),
        "REDIS_PASSWORD": secrets.token_urlsafe(24),
        "RELAY_PRIVATE_KEY": relay.key.hex().removeprefix("0x"),
        "RELAY_ADDRESS": relay.address,
        "OWNER_ADDRESS": _random_address(),
        "CHARITY_ADDRESS": _random_address(),
        "CUSTODY_ADDRESS": _random_address(),
        "AWS_ACCESS_KEY_ID": "stack" + secrets.token_hex(6),
        "AWS_SECRET_ACCESS_KEY": secrets.token_urlsafe(30),
    }


@dataclass
class Piece:
    name: str
    argv: Callable[[], list[str]]
    healthy: Callable[[], bool]
    address: str
    env: Callable[[], dict[str, str]] = dict
    as_postgres: bool = False
    # SIGINT is PostgreSQL's "fast" shutdown; everything else stops on SIGTERM.
    stop_signal: int = signal.SIGTERM
    ports: tuple[int, ...] = ()
    start_timeout: float = 60


@dataclass
class Stack:
    folder: Path
    base_port: int = DEFAULT_BASE_PORT
    pieces: dict[str, Piece] = field(default_factory=dict)

    @classmethod
    def from_environment(cls) -> Stack:
        folder = Path(os.environ.get("STACK_DIR", ROOT / ".hotpot" / "stack"))
        base = int(os.environ.get("STACK_BASE_PORT", DEFAULT_BASE_PORT))
        return cls(folder.resolve(), base)

    def __post_init__(self) -> None:
        self.folder = self.folder.resolve()
        if self.base_port + max(OFFSETS.values()) > 65535:
            raise StackError(f"STACK_BASE_PORT {self.base_port} is too high")
        self.pieces = {piece.name: piece for piece in self._define()}

    # --- layout ----------------------------------------------------------------------
    def port(self, name: str) -> int:
        return self.base_port + OFFSETS[name]

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port(name)}"

    @property
    def https_url(self) -> str:
        return f"https://127.0.0.1:{self.port('nginx-https')}"

    def path(self, *parts: str) -> Path:
        return self.folder.joinpath(*parts)

    @property
    def cert_file(self) -> Path:
        return self.path("tls", "cert.pem")

    @property
    def secrets(self) -> dict[str, str]:
        file = self.path("secrets.json")
        if not file.exists():
            _write_private(file, json.dumps(new_secrets(), indent=2))
        loaded: dict[str, str] = json.loads(file.read_text())
        if "RECEIPT_CODE_SECRET" not in loaded:  # a stack folder from before that secret
            loaded["RECEIPT_CODE_SECRET"] = secrets.token_urlsafe(48)
            _write_private(file, json.dumps(loaded, indent=2))
        return loaded

    def database_url(self, name: str = "postgres", database: str = DB_NAME) -> str:
        password = self.secrets["POSTGRES_PASSWORD"]
        return f"postgresql://{DB_USER}:{password}@127.0.0.1:{self.port(name)}/{database}"

    @property
    def redis_url(self) -> str:
        return f"redis://:{self.secrets['REDIS_PASSWORD']}@127.0.0.1:{self.port('redis')}/0"

    @property
    def chain_rpc_urls(self) -> list[str]:
        return [self.url("chain-rpc-a"), self.url("chain-rpc-b")]

    def platform_env(self) -> dict[str, str]:
        """What every `hotpot` process of the stack reads: production, real secrets."""
        s = self.secrets
        return {
            "HOTPOT_ENV": "production",
            "HOTPOT_EMBEDDED": "false",
            "HOTPOT_SEED_DEMO": "false",
            "HOTPOT_DATA_DIR": str(self.path("data", "hotpot")),
            "TRUSTED_PROXY_HOPS": "1",
            "HOST": "127.0.0.1",
            "LOG_LEVEL": "INFO",
            "DATABASE_URL": self.database_url("postgres"),
            "DATABASE_REPLICA_URL": self.database_url("postgres-replica"),
            "REDIS_URL": self.redis_url,
            "JWT_SECRET": s["JWT_SECRET"],
            "ENCRYPTION_KEY": s["ENCRYPTION_KEY"],
            "RECEIPT_CODE_SECRET": s["RECEIPT_CODE_SECRET"],
            "CHAIN_RPC_URLS": ",".join(self.chain_rpc_urls),
            "CHAIN_ID": str(CHAIN_ID),
            "IPFS_API_URL": self.url("ipfs"),
            "OWNER_ADDRESS": s["OWNER_ADDRESS"],
            "CHARITY_ADDRESS": s["CHARITY_ADDRESS"],
            "CUSTODY_ADDRESS": s["CUSTODY_ADDRESS"],
            "SETTLEMENT_RELAY_IN_PROCESS": "false",
            "SIWE_DOMAIN": f"127.0.0.1:{self.port('nginx-https')}",
            "SIWE_URI": self.https_url,
            "PUBLIC_BASE_URL": self.https_url,
        }

    def api_env(self, name: str) -> dict[str, str]:
        """One API process: its own PORT (nginx's upstream) and METRICS_PORT (Prometheus's)."""
        return {
            **self.platform_env(),
            "PORT": str(self.port(name)),
            "METRICS_PORT": str(self.port(f"{name}-metrics")),
        }

    def worker_env(self, name: str) -> dict[str, str]:
        return {
            **self.platform_env(),
            "RELAY_PRIVATE_KEY": self.secrets["RELAY_PRIVATE_KEY"],
            "WORKER_METRICS_PORT": str(self.port(name)),
        }

    def s3_env(self) -> dict[str, str]:
        s = self.secrets
        return {
            "AWS_ACCESS_KEY_ID": s["AWS_ACCESS_KEY_ID"],
            "AWS_SECRET_ACCESS_KEY": s["AWS_SECRET_ACCESS_KEY"],
            "AWS_DEFAULT_REGION": "us-east-1",
            "S3_ENDPOINT_URL": self.url("s3"),
            "BACKUP_BUCKET": "hotpot-backups",
        }

    # --- the pieces ------------------------------------------------------------------
    def _define(self) -> Iterator[Piece]:
        p = self.port
        yield Piece(
            "postgres",
            lambda: self._postgres_argv("primary", p("postgres")),
            lambda: self.admin_sql("postgres", REPLICA_CHECK) == "f",
            f"postgresql://127.0.0.1:{p('postgres')}/{DB_NAME}",
            as_postgres=True,
            stop_signal=signal.SIGINT,
            ports=(p("postgres"),),
        )
        yield Piece(
            "postgres-replica",
            self._replica_argv,
            lambda: self.admin_sql("postgres-replica", REPLICA_CHECK) == "t",
            f"postgresql://127.0.0.1:{p('postgres-replica')}/{DB_NAME} (streaming standby)",
            as_postgres=True,
            stop_signal=signal.SIGINT,
            ports=(p("postgres-replica"),),
        )
        yield Piece(
            "redis",
            self._redis_argv,
            self._redis_ping,
            f"redis://127.0.0.1:{p('redis')}",
            ports=(p("redis"),),
        )
        yield Piece(
            "chain",
            self._anvil_argv,
            lambda: self._rpc(self.url("chain"), "eth_chainId") == hex(CHAIN_ID),
            f"{self.url('chain')} (anvil, chain id {CHAIN_ID})",
            ports=(p("chain"),),
        )
        for name in ("chain-rpc-a", "chain-rpc-b"):
            yield Piece(
                name,
                lambda name=name: [
                    sys.executable,
                    str(HERE / "forward.py"),
                    str(p(name)),
                    str(p("chain")),
                ],
                lambda name=name: self._rpc(self.url(name), "eth_chainId") == hex(CHAIN_ID),
                f"{self.url(name)} (forwards to the chain)",
                ports=(p(name),),
            )
        yield Piece(
            "ipfs",
            self._ipfs_argv,
            lambda: _http(self.url("ipfs") + "/api/v0/id", method="POST")[0] == 200,
            f"{self.url('ipfs')} (Kubo RPC API, js-ipfs)",
            ports=(p("ipfs"), p("ipfs-gateway")),
            start_timeout=120,
        )
        yield Piece(
            "s3",
            lambda: [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(p("s3"))],
            lambda: _http(self.url("s3") + "/moto-api/")[0] == 200,
            f"{self.url('s3')} (moto S3, bucket hotpot-backups)",
            ports=(p("s3"),),
        )
        for name in API_NAMES:
            yield Piece(
                name,
                lambda: [str(VENV_BIN / "hotpot"), "serve"],
                lambda name=name: _http(self.url(name) + API_PROBE)[0] == 200,
                f"{self.url(name)} (hotpot serve; /metrics on {self.url(name + '-metrics')})",
                env=lambda name=name: self.api_env(name),
                ports=(p(name), p(f"{name}-metrics")),
                start_timeout=90,
            )
        for name in WORKER_NAMES:
            yield Piece(
                name,
                lambda: [str(VENV_BIN / "hotpot"), "worker"],
                lambda name=name: _http(self.url(name) + WORKER_PROBE)[0] == 200,
                f"{self.url(name)}/metrics (hotpot worker, the relay)",
                env=lambda name=name: self.worker_env(name),
                ports=(p(name),),
                start_timeout=90,
            )
        yield Piece(
            "nginx",
            lambda: [
                "nginx",
                "-c",
                str(self.path("config", "nginx", "nginx.conf")),
                "-g",
                "daemon off;",
            ],
            lambda: _http(self.https_url + "/health", cafile=self.cert_file)[0] == 200,
            f"{self.https_url} (TLS), http://127.0.0.1:{p('nginx-http')} (redirect)",
            ports=(p("nginx-https"), p("nginx-http")),
            stop_signal=signal.SIGQUIT,
        )
        yield Piece(
            "alert-relay",
            lambda: [
                sys.executable,
                str(HERE / "alert_relay.py"),
                str(p("alert-relay")),
                str(self.path("data", "alert-relay", "notifications.jsonl")),
            ],
            lambda: _http(self.url("alert-relay") + "/health")[0] == 200,
            f"{self.url('alert-relay')}/alerts (every notification Alertmanager sent)",
            ports=(p("alert-relay"),),
        )
        yield Piece(
            "alertmanager",
            lambda: [
                "prometheus-alertmanager",
                f"--config.file={self.path('config', 'alertmanager.yml')}",
                f"--storage.path={self.path('data', 'alertmanager')}",
                f"--web.listen-address=127.0.0.1:{p('alertmanager')}",
                "--cluster.listen-address=",
            ],
            lambda: _http(self.url("alertmanager") + "/-/ready")[0] == 200,
            self.url("alertmanager"),
            ports=(p("alertmanager"),),
        )
        yield Piece(
            "postgres-exporter",
            lambda: [
                "prometheus-postgres-exporter",
                f"--web.listen-address=127.0.0.1:{p('postgres-exporter')}",
            ],
            lambda: _http(self.url("postgres-exporter") + "/metrics")[0] == 200,
            f"{self.url('postgres-exporter')}/metrics",
            env=lambda: {"DATA_SOURCE_NAME": self.database_url() + "?sslmode=disable"},
            ports=(p("postgres-exporter"),),
        )
        yield Piece(
            "redis-exporter",
            lambda: [
                "prometheus-redis-exporter",
                f"-redis.addr=redis://127.0.0.1:{p('redis')}",
                f"-web.listen-address=127.0.0.1:{p('redis-exporter')}",
            ],
            lambda: _http(self.url("redis-exporter") + "/metrics")[0] == 200,
            f"{self.url('redis-exporter')}/metrics",
            env=lambda: {"REDIS_PASSWORD": self.secrets["REDIS_PASSWORD"]},
            ports=(p("redis-exporter"),),
        )
        yield Piece(
            "node-exporter",
            lambda: [
                "prometheus-node-exporter",
                f"--web.listen-address=127.0.0.1:{p('node-exporter')}",
            ],
            lambda: _http(self.url("node-exporter") + "/metrics")[0] == 200,
            f"{self.url('node-exporter')}/metrics",
            ports=(p("node-exporter"),),
        )
        yield Piece(
            "prometheus",
            lambda: [
                "prometheus",
                f"--config.file={self.path('config', 'prometheus', 'prometheus.yml')}",
                f"--storage.tsdb.path={self.path('data', 'prometheus')}",
                f"--web.listen-address=127.0.0.1:{p('prometheus')}",
            ],
            lambda: _http(self.url("prometheus") + "/-/ready")[0] == 200,
            self.url("prometheus"),
            ports=(p("prometheus"),),
        )

    # --- argv of the servers that need a prepared folder ------------------------------
    def _postgres_argv(self, which: str, port: int, *extra: str) -> list[str]:
        return [
            str(PG_BIN / "postgres"),
            "-D",
            str(self.path("data", "postgres", which)),
            "-c",
            f"port={port}",
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"unix_socket_directories={self.path('run')}",
            "-c",
            "wal_level=replica",
            "-c",
            "max_wal_senders=10",
            "-c",
            "max_replication_slots=10",
            "-c",
            "hot_standby=on",
            "-c",
            "max_connections=200",
            "-c",
            "shared_buffers=128MB",
            *extra,
        ]

    def _replica_argv(self) -> list[str]:
        # On the command line, so a stack moved to another base port still finds its primary.
        conninfo = (
            f"host=127.0.0.1 port={self.port('postgres')} user=replicator "
            f"password={self.secrets['REPLICATION_PASSWORD']} application_name=stack-replica"
        )
        return self._postgres_argv(
            "replica",
            self.port("postgres-replica"),
            "-c",
            f"primary_conninfo={conninfo}",
            "-c",
            "primary_slot_name=stack_replica",
        )

    def _redis_argv(self) -> list[str]:
        data = self.path("data", "redis")
        data.mkdir(parents=True, exist_ok=True)
        return [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port("redis")),
            "--requirepass",
            self.secrets["REDIS_PASSWORD"],
            "--dir",
            str(data),
            "--appendonly",
            "yes",
            "--daemonize",
            "no",
        ]

    def _anvil_argv(self) -> list[str]:
        binary = subprocess.run(
            ["bash", str(ROOT / "tools" / "chain-tools.sh"), "path"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()[-1]
        state = self.path("data", "chain", "state.json")
        state.parent.mkdir(parents=True, exist_ok=True)
        return [
            binary,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port("chain")),
            "--chain-id",
            str(CHAIN_ID),
            "--state",
            str(state),
            "--state-interval",
            "1",
            "--silent",
        ]

    def _ipfs_argv(self) -> list[str]:
        repo = self.path("data", "ipfs")
        config = repo / "config"
        if config.exists():
            # The repo keeps its listen addresses: follow the stack's base port.
            loaded = json.loads(config.read_text())
            loaded["Addresses"]["API"] = f"/ip4/127.0.0.1/tcp/{self.port('ipfs')}"
            loaded["Addresses"]["Gateway"] = f"/ip4/127.0.0.1/tcp/{self.port('ipfs-gateway')}"
            config.write_text(json.dumps(loaded, indent=2))
        return [
            "bash",
            str(ROOT / "tools" / "ipfs-node.sh"),
            "start",
            str(repo),
            str(self.port("ipfs")),
            str(self.port("ipfs-gateway")),
        ]

    # --- checks ----------------------------------------------------------------------
    def _sql(self, name: str, query: str, database: str = DB_NAME) -> str:
        result = subprocess.run(
            ["psql", self.database_url(name, database), "-tAXc", query],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        return result.stdout.strip() if result.returncode == 0 else ""

    def admin_sql(
        self, name: str, query: str, database: str = "postgres", timeout: float = 30
    ) -> str:
        """As the server's superuser over its socket (trust for local connections only)."""
        result = subprocess.run(
            [
                "psql",
                "-h",
                str(self.path("run")),
                "-p",
                str(self.port(name)),
                "-U",
                "postgres",
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-tAXc",
                query,
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise StackError(f"psql on {name}: {result.stderr.strip()}")
        return result.stdout.strip()

    def _redis_ping(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port("redis")), 1) as sock:
            password = self.secrets["REDIS_PASSWORD"]
            sock.sendall(f"AUTH {password}\r\nPING\r\n".encode())
            answer = b""
            while answer.count(b"\r\n") < 2:
                chunk = sock.recv(256)
                if not chunk:
                    break
                answer += chunk
            return answer == b"+OK\r\n+PONG\r\n"

    def _rpc(self, url: str, method: str, params: list[Any] | None = None) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
        status, text = _http(url, method="POST", body=body.encode(), timeout=3)
        if status != 200:
            raise StackError(f"{url} answered {status}")
        return json.loads(text).get("result")

    # --- processes -------------------------------------------------------------------
    def pid_file(self, name: str) -> Path:
        return self.path("run", f"{name}.pid")

    def log_file(self, name: str) -> Path:
        return self.path("logs", f"{name}.log")

    def pid(self, name: str) -> int | None:
        """The pid of a running piece this stack started (None when it is not running)."""
        try:
            pid_text, started = self.pid_file(name).read_text().split()
            pid = int(pid_text)
        except (OSError, ValueError):
            return None
        if _start_time(pid) != started:
            return None  # that process ended (its pid may since belong to another)
        return pid

    def running(self, name: str) -> bool:
        return self.pid(name) is not None

    def start(self, *names: str) -> None:
        """Start pieces (those not running) side by side and wait until each is healthy."""
        for name in names:
            piece = self.pieces[name]
            if self.running(name):
                continue
            taken = [port for port in piece.ports if not port_free(port)]
            if taken:
                raise StackError(
                    f"{name}: port {', '.join(map(str, taken))} is taken by another process; "
                    "stop it or choose another STACK_BASE_PORT"
                )
            self._spawn(piece)
        for name in names:
            self.wait_healthy(name)

    def wait_healthy(self, name: str, timeout: float | None = None) -> None:
        piece = self.pieces[name]
        limit = piece.start_timeout if timeout is None else timeout
        if not wait_until(lambda: self.running(name) and piece.healthy(), limit):
            state = "unhealthy" if self.running(name) else "not running"
            tail = self.log_tail(name)
            raise StackError(f"{name} is {state}; the end of its log:\n{tail}")

    def _spawn(self, piece: Piece) -> None:
        self.path("run").mkdir(parents=True, exist_ok=True)
        self.path("logs").mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "HOTPOT_TOOLS_DIR": _tools_dir(), **piece.env()}
        user = _postgres_user() if piece.as_postgres else None
        argv = piece.argv()
        with self.log_file(piece.name).open("ab") as log:
            log.write(f"--- {time.strftime('%Y-%m-%dT%H:%M:%S')} starting {piece.name}\n".encode())
            log.flush()
            process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.folder,
                # Own session: `down` signals the whole group (npm's node, uvicorn, ...).
                start_new_session=True,
                user=user.pw_uid if user else None,
                group=user.pw_gid if user else None,
            )
        started = ""
        wait_until(lambda: bool(_start_time(process.pid)), 5, 0.01)
        started = _start_time(process.pid)
        self.pid_file(piece.name).write_text(f"{process.pid} {started}\n")

    def stop(self, name: str, sig: int | None = None, timeout: float = 30) -> None:
        """Stop one piece (by its pid file only); `sig` SIGKILL for a hard kill."""
        pid = self.pid(name)
        if pid is None:
            self.pid_file(name).unlink(missing_ok=True)
            return
        sig = self.pieces[name].stop_signal if sig is None else sig
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, sig)
        if not wait_until(lambda: not self.running(name), timeout, 0.05):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            wait_until(lambda: not self.running(name), 10, 0.05)
        # The group's other members (npm's node under bash, ...) go with it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        self.pid_file(name).unlink(missing_ok=True)

    def log_tail(self, name: str, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file(name).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    # --- up / down -------------------------------------------------------------------
    def check_ports(self) -> None:
        taken = [
            f"{name} {port}"
            for name, piece in self.pieces.items()
            if not self.running(name)
            for port in piece.ports
            if not port_free(port)
        ]
        if taken:
            raise StackError(
                "ports are taken by other processes: "
                + ", ".join(taken)
                + f"; stop them or set STACK_BASE_PORT (now {self.base_port})"
            )

    def up(self, say: Callable[[str], None] = print) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.check_ports()
        self._prepare_postgres_primary()
        self.start("postgres")
        self._prepare_database()
        self._prepare_replica()
        self.start("postgres-replica")
        servers = ("redis", "chain", "chain-rpc-a", "chain-rpc-b", "ipfs", "s3")
        self.start(*servers)
        say(f"stack: {', '.join(servers)} up")
        self._fund_relay()
        self._ensure_bucket()
        self._platform_once()
        say("stack: migrated, contracts deployed")
        self.start(*API_NAMES, *WORKER_NAMES)
        say(f"stack: {', '.join((*API_NAMES, *WORKER_NAMES))} up")
        self._render_tls()
        self._render_nginx()
        self.start("nginx")
        self._render_monitoring()
        self.start(
            "alert-relay",
            "alertmanager",
            "postgres-exporter",
            "redis-exporter",
            "node-exporter",
            "prometheus",
        )
        say(f"stack: up; the API is at {self.https_url} (certificate {self.cert_file})")

    def down(self) -> None:
        # Clients first, servers last: no piece loses its dependency before it stopped.
        for name in reversed(list(self.pieces)):
            self.stop(name)

    def status(self) -> list[tuple[str, str, str]]:
        rows = []
        for name, piece in self.pieces.items():
            if not self.running(name):
                state = "stopped"
            else:
                try:
                    state = "healthy" if piece.healthy() else "UNHEALTHY"
                except Exception as exc:
                    state = f"UNHEALTHY ({type(exc).__name__})"
            rows.append((name, piece.address, state))
        return rows

    # --- first-start preparation -----------------------------------------------------
    def _prepare_postgres_primary(self) -> None:
        data = self.path("data", "postgres", "primary")
        user = _postgres_user()
        base = self.path("data", "postgres")
        base.mkdir(parents=True, exist_ok=True)
        self.path("run").mkdir(parents=True, exist_ok=True)
        if user is not None:
            _check_enterable(base, user)
            os.chown(base, user.pw_uid, user.pw_gid)
            # The socket directory: PostgreSQL writes its socket and lock there.
            os.chmod(self.path("run"), 0o1777)
        if (data / "PG_VERSION").exists():
            return
        password_file = self.path("run", "initdb-password")
        _write_private(password_file, self.secrets["POSTGRES_PASSWORD"] + "\n")
        if user is not None:
            os.chown(password_file, user.pw_uid, user.pw_gid)
        try:
            _run_as_postgres(
                [
                    str(PG_BIN / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C",
                ],
                cwd=base,
            )
        finally:
            password_file.unlink(missing_ok=True)
        # Loopback only, passwords always; the replicator may stream, nobody else.
        (data / "pg_hba.conf").write_text(
            "local all postgres trust\n"
            "host replication replicator 127.0.0.1/32 scram-sha-256\n"
            "host all all 127.0.0.1/32 scram-sha-256\n"
        )

    def _prepare_database(self) -> None:
        exists = self.admin_sql("postgres", f"select 1 from pg_roles where rolname='{DB_USER}'")
        if exists == "1":
            return
        s = self.secrets
        self.admin_sql(
            "postgres",
            f"create role {DB_USER} login password '{s['POSTGRES_PASSWORD']}';"
            f"create role replicator replication login password '{s['REPLICATION_PASSWORD']}';"
            # The exporter reads server statistics as the platform's user.
            f"grant pg_monitor to {DB_USER};",
        )
        self.admin_sql("postgres", f"create database {DB_NAME} owner {DB_USER}")
        self.admin_sql("postgres", "select pg_create_physical_replication_slot('stack_replica')")

    def _prepare_replica(self) -> None:
        data = self.path("data", "postgres", "replica")
        if (data / "PG_VERSION").exists():
            return
        # -R writes standby.signal (and a primary_conninfo the command line overrides).
        _run_as_postgres(
            [
                str(PG_BIN / "pg_basebackup"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port("postgres")),
                "-U",
                "replicator",
                "-D",
                str(data),
                "-R",
                "-X",
                "stream",
                "-S",
                "stack_replica",
            ],
            cwd=self.path("data", "postgres"),
            env={"PGPASSWORD": self.secrets["REPLICATION_PASSWORD"]},
        )

    def _fund_relay(self) -> None:
        """The relay signs with a key of its own (never anvil's): give it gas money."""
        self._rpc(
            self.url("chain"),
            "anvil_setBalance",
            [self.secrets["RELAY_ADDRESS"], hex(RELAY_FUNDING_WEI)],
        )

    def _ensure_bucket(self) -> None:
        import boto3

        env = self.s3_env()
        client = boto3.client(
            "s3",
            endpoint_url=env["S3_ENDPOINT_URL"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            region_name=env["AWS_DEFAULT_REGION"],
        )
        names = {bucket["Name"] for bucket in client.list_buckets().get("Buckets", [])}
        if env["BACKUP_BUCKET"] not in names:
            client.create_bucket(Bucket=env["BACKUP_BUCKET"])

    def hotpot(self, *args: str, env: dict[str, str] | None = None, timeout: float = 600) -> str:
        """Run a `hotpot` command against the stack (the relay's key included)."""
        result = subprocess.run(
            [str(VENV_BIN / "hotpot"), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env={
                **os.environ,
                "HOTPOT_TOOLS_DIR": _tools_dir(),
                **(env or self.worker_env("worker-1")),
            },
            cwd=self.folder,
        )
        if result.returncode != 0:
            raise StackError(
                f"hotpot {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result.stdout

    def _platform_once(self) -> None:
        """Migrate and deploy once (not three API processes racing), seed on first start."""
        self.hotpot("migrate")
        self.hotpot("chain", "deploy")
        creds = self.path("demo-credentials.json")
        if not creds.exists():
            subprocess.run(
                [sys.executable, str(HERE / "seed.py"), str(self.folder)],
                env={**os.environ, **self.platform_env()},
                check=True,
                timeout=300,
            )

    # --- rendered configuration ------------------------------------------------------
    def _render_tls(self) -> None:
        key = self.path("tls", "key.pem")
        if self.cert_file.exists() and key.exists():
            return
        self.cert_file.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "365",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-keyout",
                str(key),
                "-out",
                str(self.cert_file),
            ],
            capture_output=True,
            check=True,
        )
        key.chmod(0o600)

    def _render_nginx(self) -> None:
        out = self.path("config", "nginx")
        (out / "conf.d").mkdir(parents=True, exist_ok=True)
        main = render_nginx_main(
            (ROOT / "nginx" / "nginx.conf").read_text(),
            pid=self.path("run", "nginx-master.pid"),
            logs=self.path("logs"),
            conf_d=out / "conf.d",
            user=_nginx_user(),
        )
        (out / "nginx.conf").write_text(main)
        for source in sorted((ROOT / "nginx" / "conf.d").glob("*.conf")):
            rendered = render_nginx_site(
                source.read_text(),
                upstreams=[self.port(name) for name in API_NAMES],
                http_port=self.port("nginx-http"),
                https_port=self.port("nginx-https"),
                tls_dir=self.cert_file.parent,
            )
            (out / "conf.d" / source.name).write_text(rendered)
        check = subprocess.run(
            ["nginx", "-t", "-c", str(out / "nginx.conf")], capture_output=True, text=True
        )
        if check.returncode != 0:
            raise StackError(f"the rendered nginx configuration is invalid:\n{check.stderr}")

    def prometheus_targets(self) -> dict[str, list[str]]:
        """Every scrape job's loopback targets; the APIs' are their METRICS_PORTs."""
        return {
            "alertmanager": [f"127.0.0.1:{self.port('alertmanager')}"],
            "thehotpotspot-api": [f"127.0.0.1:{self.port(n + '-metrics')}" for n in API_NAMES],
            "thehotpotspot-worker": [f"127.0.0.1:{self.port(n)}" for n in WORKER_NAMES],
            "postgres": [f"127.0.0.1:{self.port('postgres-exporter')}"],
            "redis": [f"127.0.0.1:{self.port('redis-exporter')}"],
            "node-exporter": [f"127.0.0.1:{self.port('node-exporter')}"],
            "prometheus": [f"127.0.0.1:{self.port('prometheus')}"],
        }

    def _render_monitoring(self) -> None:
        out = self.path("config", "prometheus")
        out.mkdir(parents=True, exist_ok=True)
        source = yaml.safe_load((ROOT / "monitoring" / "prometheus" / "prometheus.yml").read_text())
        rendered = render_prometheus(
            source,
            rules=ROOT / "monitoring" / "prometheus" / "rules",
            targets=self.prometheus_targets(),
        )
        (out / "prometheus.yml").write_text(yaml.safe_dump(rendered, sort_keys=False))
        alertmanager = (ROOT / "monitoring" / "alertmanager" / "alertmanager.yml").read_text()
        relay = "http://alert-relay:8080/"
        if relay not in alertmanager:
            raise StackError(f"alertmanager.yml no longer names {relay}: update the stack")
        self.path("config", "alertmanager.yml").write_text(
            alertmanager.replace(relay, f"{self.url('alert-relay')}/")
        )


# --- renderers (pure, so tests can compare them with compose) -------------------------
def _replace_once(text: str, old: str, new: str, what: str) -> str:
    if old not in text:
        raise StackError(f"{what}: expected {old!r}; the stack's renderer needs updating")
    return text.replace(old, new)


def render_nginx_main(text: str, *, pid: Path, logs: Path, conf_d: Path, user: str | None) -> str:
    what = "nginx/nginx.conf"
    text = _replace_once(text, "pid /run/nginx.pid;", f"pid {pid};", what)
    text = _replace_once(
        text, "error_log /var/log/nginx/error.log", f"error_log {logs / 'nginx-error.log'}", what
    )
    text = _replace_once(
        text,
        "access_log /var/log/nginx/access.log json;",
        f"access_log {logs / 'nginx-access.log'} json;",
        what,
    )
    text = _replace_once(
        text, "include /etc/nginx/conf.d/*.conf;", f"include {conf_d}/*.conf;", what
    )
    if user:
        # As root, workers drop to Debian's web user as the distribution's own config does.
        text = _replace_once(
            text, "worker_processes auto;", f"user {user};\nworker_processes 2;", what
        )
    return text


def render_nginx_site(
    text: str, *, upstreams: list[int], http_port: int, https_port: int, tls_dir: Path
) -> str:
    what = "nginx/conf.d"
    servers = "\n".join(
        f"    server 127.0.0.1:{port} max_fails=3 fail_timeout=10s;" for port in upstreams
    )
    text = _replace_once(text, "    server api:8080 max_fails=3 fail_timeout=10s;", servers, what)
    text = _replace_once(
        text, "    listen 80;\n    listen [::]:80;\n", f"    listen 127.0.0.1:{http_port};\n", what
    )
    text = _replace_once(
        text,
        "    listen 443 ssl http2;\n    listen [::]:443 ssl http2;\n",
        f"    listen 127.0.0.1:{https_port} ssl http2;\n",
        what,
    )
    text = _replace_once(text, "/etc/nginx/ssl/", f"{tls_dir}/", what)
    return text


def render_prometheus(
    source: dict[str, Any], *, rules: Path, targets: dict[str, list[str]]
) -> dict[str, Any]:
    """The project's scrape config with every target on loopback; rules and jobs kept."""
    rendered = json.loads(json.dumps(source))
    rendered["rule_files"] = [str(rules / "*.yml")]
    rendered["alerting"]["alertmanagers"] = [
        {"static_configs": [{"targets": targets["alertmanager"]}]}
    ]
    jobs = {job["job_name"] for job in rendered["scrape_configs"]}
    missing = jobs - set(targets)
    if missing:
        raise StackError(f"prometheus.yml has jobs the stack does not run: {sorted(missing)}")
    for job in rendered["scrape_configs"]:
        job.pop("dns_sd_configs", None)
        job["static_configs"] = [{"targets": targets[job["job_name"]]}]
    return rendered


# --- helpers --------------------------------------------------------------------------
def _http(
    url: str,
    method: str = "GET",
    body: bytes | None = None,
    timeout: float = 2,
    cafile: Path | None = None,
) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, method=method)  # noqa: S310
    if body is not None:
        request.add_header("Content-Type", "application/json")
    context = ssl.create_default_context(cafile=str(cafile)) if cafile else None
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as answer:  # noqa: S310
            return int(answer.status), answer.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read().decode(errors="replace")
    except OSError:
        return 0, ""


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks (field 22 of /proc/PID/stat), "" if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] == "Z":
        # A zombie has ended; reap it if it is our child.
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        return ""
    return fields[19]


def _tools_dir() -> str:
    cache = os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache"))
    return os.environ.get("HOTPOT_TOOLS_DIR", str(Path(cache) / "hotpot" / "tools"))


def _postgres_user() -> pwd.struct_passwd | None:
    """PostgreSQL refuses to run as root: then it runs as `postgres`."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError as exc:
        raise StackError(
            "running as root needs a 'postgres' account (Debian's postgresql)"
        ) from exc


def _nginx_user() -> str | None:
    if os.geteuid() != 0:
        return None
    with contextlib.suppress(KeyError):
        return pwd.getpwnam("www-data").pw_name
    return None


def _check_enterable(path: Path, user: pwd.struct_passwd) -> None:
    for parent in path.parents:
        info = parent.stat()
        if info.st_uid != user.pw_uid and not info.st_mode & 0o001:
            raise StackError(
                f"PostgreSQL runs as '{user.pw_name}', which cannot enter {parent}; "
                "choose a STACK_DIR under folders others may enter (chmod o+x)"
            )


def _run_as_postgres(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    user = _postgres_user()
    result = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "LC_ALL": "C", **(env or {})},
        user=user.pw_uid if user else None,
        group=user.pw_gid if user else None,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise StackError(f"{Path(argv[0]).name} failed: {result.stderr.strip()}")


def main(argv: list[str]) -> int:
    usage = "usage: stack up | down | status | logs NAME | start NAME | stop NAME"
    if not argv:
        print(usage, file=sys.stderr)
        return 2
    stack = Stack.from_environment()
    command, rest = argv[0], argv[1:]
    try:
        if command == "up":
            stack.up()
        elif command == "down":
            stack.down()
            print("stack: down")
        elif command == "status":
            rows = stack.status()
            width = max(len(name) for name, _, _ in rows)
            for name, address, state in rows:
                print(f"{name:<{width}}  {state:<10}  {address}")
            return 0 if all(state == "healthy" for _, _, state in rows) else 1
        elif command in ("logs", "start", "stop") and len(rest) == 1:
            name = rest[0]
            if name not in stack.pieces:
                print(
                    f"stack: no piece {name!r}; one of: {', '.join(stack.pieces)}", file=sys.stderr
                )
                return 2
            if command == "logs":
                path = stack.log_file(name)
                if not path.exists():
                    print(f"stack: {name} has no log yet ({path})", file=sys.stderr)
                    return 1
                shutil.copyfileobj(path.open("rb"), sys.stdout.buffer)
            elif command == "start":
                stack.start(name)
            else:
                stack.stop(name)
        else:
            print(usage, file=sys.stderr)
            return 2
    except StackError as exc:
        print(f"stack: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
