"""The embedded chain: a local anvil node whose state persists in the data directory.

`EmbeddedAnvil(data_dir).start()` runs `tools/chain-tools.sh`'s anvil (installing it from
npm into `.tools/anvil` when missing) on a free loopback port. Anvil dumps its state in
place (truncate, then write) every `--state-interval` seconds and on SIGTERM / SIGINT, so
a hard kill during a dump leaves a torn file that anvil then refuses to load. Hence two
files (`ChainState`):

- `state.dump.json`: anvil's working dump (`--dump-state`), possibly torn;
- `state.json`: the last good state (`--load-state`), only ever replaced by write to a
  temporary file + fsync + rename, with a dump that parsed as a complete anvil state.

A keeper thread promotes each new complete dump to `state.json` (a hard kill loses what
happened since the last complete dump: about a second) and restarts anvil, on the same
port and from the last good state, when it exits without being asked to. At start the
newest complete candidate is loaded; a torn or garbage file is set aside as `<name>.bad`
and logged; with no complete state anvil starts empty, and `deploy` then finds the reset
chain and the relay settles the whole ledger again (docs/settlement.md).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from hotpot.adapters.embedded import (
    EmbeddedServerError,
    claim_ownership,
    free_port,
    owner_alive,
    wait_for_port,
)
from hotpot.adapters.files import write_atomically

log = structlog.get_logger(__name__)

ROOT = Path(__file__).resolve().parents[3]
CHAIN_TOOLS = ROOT / "tools" / "chain-tools.sh"
KEEPER_POLL_SECONDS = 0.2


def anvil_binary() -> Path:
    """The anvil binary, installed by tools/chain-tools.sh when missing."""
    if not CHAIN_TOOLS.exists():
        raise EmbeddedServerError(f"{CHAIN_TOOLS} not found (needed to install anvil)")
    result = subprocess.run(  # noqa: S603 - our own script, no shell
        [str(CHAIN_TOOLS), "path"], capture_output=True, text=True, timeout=600, check=False
    )
    if result.returncode != 0:
        raise EmbeddedServerError(f"cannot install anvil: {result.stderr.strip()}")
    return Path(result.stdout.strip().splitlines()[-1])


def state_head(data: bytes) -> int | None:
    """The best block number of a complete anvil state dump, or None if `data` is not one.

    Anvil's loader wants a JSON object with the block environment and the accounts; a
    torn write is not valid JSON at all, so a full parse is what tells them apart.
    """
    try:
        state = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(state, dict):
        return None
    if not isinstance(state.get("block"), dict) or not isinstance(state.get("accounts"), dict):
        return None
    head = state.get("best_block_number", state["block"].get("number", 0))
    try:
        return int(head, 16) if isinstance(head, str) else int(head)
    except (TypeError, ValueError):
        return None


@dataclass
class ChainState:
    """The last good state file and anvil's working dump in `folder` (module docstring)."""

    folder: Path
    _seen: tuple[int, int] | None = None  # (mtime_ns, size) of the dump last looked at

    @property
    def good(self) -> Path:
        return self.folder / "state.json"

    @property
    def dump(self) -> Path:
        return self.folder / "state.dump.json"

    def choose(self) -> Path | None:
        """At start: the file anvil should load (the newest complete state), or None.

        Incomplete candidates are renamed to `<name>.bad` (kept for inspection); the
        dump, when it is the newest, is first promoted so anvil loads `state.json`.
        """
        complete: list[tuple[int, Path, bytes, int]] = []
        set_aside: list[str] = []
        for path in (self.dump, self.good):
            try:
                data, mtime = path.read_bytes(), path.stat().st_mtime_ns
            except FileNotFoundError:
                continue
            head = state_head(data)
            if head is None:
                aside = path.with_name(path.name + ".bad")
                os.replace(path, aside)
                set_aside.append(path.name)
                log.error(
                    "chain state file is not a complete anvil state: set aside",
                    file=str(path),
                    size=len(data),
                    moved_to=str(aside),
                )
                continue
            complete.append((mtime, path, data, head))
        if not complete:
            if not set_aside:
                log.info("no chain state yet: a new chain", folder=str(self.folder))
            else:
                log.error(
                    "no complete chain state: starting an empty chain; deploy will find the"
                    " reset and the relay settles the whole ledger again",
                    bad=set_aside,
                )
            return None
        _, path, data, head = max(complete, key=lambda c: c[0])
        if path == self.dump:
            write_atomically(self.good, data)
        # The dump's content is in state.json now (or older than it): any dump from here on
        # is the new anvil's.
        self.dump.unlink(missing_ok=True)
        self._seen = None
        log.info(
            "chain state loaded",
            file=str(path),
            block=head,
            kept_last_good=bool(set_aside) and path == self.good,
        )
        return self.good

    def promote(self) -> bool:
        """Copy a new, complete dump to `state.json` atomically; True when it did."""
        try:
            stat = self.dump.stat()
        except FileNotFoundError:
            return False
        signature = (stat.st_mtime_ns, stat.st_size)
        if signature == self._seen:
            return False
        data = self.dump.read_bytes()
        if state_head(data) is None:
            return False  # anvil is still writing it (or was killed doing so): next time
        write_atomically(self.good, data)
        self._seen = signature
        return True


@dataclass
class EmbeddedAnvil:
    data_dir: Path
    port: int = 0
    chain_id: int = 31337
    state_interval: int = 1
    process: subprocess.Popen[bytes] | None = None
    borrowed: bool = False  # True when a live `serve` started this chain
    restarts: int = 0  # times the keeper brought anvil back after it died
    _stopping: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _keeper: threading.Thread | None = None
    _state: ChainState | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def state_file(self) -> Path:
        """The last good state (anvil's own dump is `state.dump.json` beside it)."""
        return self.data_dir / "state.json"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "anvil.log"

    def start(self) -> str:
        self.data_dir = self.data_dir.resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        endpoint = self.data_dir / "port"
        if owner_alive(self.data_dir) and endpoint.exists():
            # A running `serve` owns this chain: a second anvil on the same state files
            # would overwrite them, so share the running one instead.
            self.port = int(endpoint.read_text().strip())
            self.borrowed = True
            return self.url
        self.port = self.port or free_port()
        self._state = ChainState(self.data_dir)
        with self._lock:
            self._launch()
        claim_ownership(self.data_dir)
        endpoint.write_text(str(self.port))
        self._stopping.clear()
        self._keeper = threading.Thread(target=self._keep, name="anvil-keeper", daemon=True)
        self._keeper.start()
        log.info("embedded chain started", port=self.port, state=str(self.state_file))
        return self.url

    def _launch(self) -> None:
        """Start anvil from the newest complete state and wait for its port."""
        assert self._state is not None
        binary = anvil_binary()
        load = self._state.choose()
        args = [
            str(binary),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--chain-id",
            str(self.chain_id),
            *(["--load-state", str(load)] if load else []),
            "--dump-state",
            str(self._state.dump),
            "--state-interval",
            str(self.state_interval),
            "--silent",
        ]
        # stderr to a file, not a pipe: nobody reads a pipe while anvil runs, and a full
        # one would block it.
        with self.log_file.open("ab") as errors:
            self.process = subprocess.Popen(  # noqa: S603 - fixed binary
                args, stdout=subprocess.DEVNULL, stderr=errors, start_new_session=True
            )
        if not wait_for_port(self.port, 30):
            self._end(hard=True)
            raise EmbeddedServerError("embedded anvil did not start listening")

    def _keep(self) -> None:
        """Promote complete dumps; bring anvil back when it dies unasked."""
        while not self._stopping.wait(KEEPER_POLL_SECONDS):
            with self._lock:
                if self._stopping.is_set() or self._state is None:
                    return
                self._state.promote()
                process = self.process
                if process is not None and process.poll() is None:
                    continue
                if process is not None:
                    log.error(
                        "embedded chain exited unexpectedly: restarting it",
                        code=process.returncode,
                        stderr=self._log_tail(),
                    )
                    self.process = None  # a failed restart is tried again next time
                try:
                    self._launch()
                    self.restarts += 1
                    log.info("embedded chain restarted", port=self.port, restarts=self.restarts)
                except EmbeddedServerError as exc:
                    log.error("embedded chain restart failed; retrying", error=str(exc))

    def _end(self, hard: bool) -> None:
        if self.process is not None and self.process.poll() is None:
            if hard:
                self.process.kill()
            else:
                self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None

    def _log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return self.log_file.read_bytes()[-500:].decode(errors="replace").strip()
        return ""

    def stop(self, hard: bool = False) -> None:
        """SIGTERM (anvil writes its dump, then it becomes state.json), or SIGKILL."""
        if self.borrowed:
            return
        self._stopping.set()
        if self._keeper is not None:
            self._keeper.join(10)
            self._keeper = None
        with self._lock:
            self._end(hard)
            if self._state is not None:
                self._state.promote()

    def __enter__(self) -> EmbeddedAnvil:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
