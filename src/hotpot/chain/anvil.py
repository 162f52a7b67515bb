"""The embedded chain: a local anvil node whose state persists in the data directory.

`EmbeddedAnvil(data_dir).start()` runs `tools/chain-tools.sh`'s anvil (installing it from
npm into `.tools/anvil` when missing) on a free loopback port with
`--state <data_dir>/state.json`: anvil loads that file at start and writes it on SIGTERM
/ SIGINT, and every `--state-interval` seconds while running, so balances survive a
restart. A hard kill loses at most the last interval; the relay's reconciler then finds
the batches the chain lost and settles them again (docs/settlement.md).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import structlog

from hotpot.adapters.embedded import (
    EmbeddedServerError,
    claim_ownership,
    free_port,
    owner_alive,
    wait_for_port,
)

log = structlog.get_logger(__name__)

ROOT = Path(__file__).resolve().parents[3]
CHAIN_TOOLS = ROOT / "tools" / "chain-tools.sh"


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


@dataclass
class EmbeddedAnvil:
    data_dir: Path
    port: int = 0
    chain_id: int = 31337
    state_interval: int = 1
    process: subprocess.Popen[bytes] | None = None
    borrowed: bool = False  # True when a live `serve` started this chain

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def state_file(self) -> Path:
        return self.data_dir / "state.json"

    def start(self) -> str:
        self.data_dir = self.data_dir.resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        endpoint = self.data_dir / "port"
        if owner_alive(self.data_dir) and endpoint.exists():
            # A running `serve` owns this chain: a second anvil on the same state file
            # would overwrite it on exit, so share the running one instead.
            self.port = int(endpoint.read_text().strip())
            self.borrowed = True
            return self.url
        binary = anvil_binary()
        self.port = self.port or free_port()
        args = [
            str(binary),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--chain-id",
            str(self.chain_id),
            "--state",
            str(self.state_file),
            "--state-interval",
            str(self.state_interval),
            "--silent",
        ]
        self.process = subprocess.Popen(  # noqa: S603 - fixed binary
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        if not wait_for_port(self.port, 30):
            self.stop()
            raise EmbeddedServerError("embedded anvil did not start listening")
        claim_ownership(self.data_dir)
        endpoint.write_text(str(self.port))
        log.info("embedded chain started", port=self.port, state=str(self.state_file))
        return self.url

    def stop(self, hard: bool = False) -> None:
        """SIGTERM (anvil writes its state file), or SIGKILL when `hard`."""
        if self.borrowed:
            return
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

    def __enter__(self) -> EmbeddedAnvil:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
