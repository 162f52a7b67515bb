"""KuboRpcStore against a real IPFS node speaking the Kubo RPC API.

The node is js-ipfs started by tools/ipfs-node.sh (it installs npm `ipfs` into
.tools/ipfs on first use, about 3 minutes; then it starts in a few seconds): offline,
API and gateway on free loopback ports, a fresh repo per session.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from hotpot.adapters.ipfs import (
    MAX_BLOCK_SIZE,
    InvalidCidError,
    IpfsError,
    IpfsNotFoundError,
    IpfsUnavailableError,
    KuboRpcStore,
    LocalBlockStore,
    PayloadTooLargeError,
)
from hotpot.domain.canonical import (
    Mint,
    RecordKind,
    SettlementRecord,
    Token,
    parse_cid,
    raw_cid,
)

ROOT = Path(__file__).resolve().parents[2]
NODE_SCRIPT = ROOT / "tools" / "ipfs-node.sh"
INSTALL_TIMEOUT = 900  # first install downloads ~1000 npm packages
START_TIMEOUT = 60


@dataclass(frozen=True)
class IpfsNode:
    api_url: str
    gateway_url: str
    log: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_api(api_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"IPFS node exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.post(f"{api_url}/api/v0/version", timeout=2).is_success:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"IPFS API not up within {START_TIMEOUT}s:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    # The node runs in its own session: signal that process group (ours) only.
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


@pytest.fixture(scope="session")
def ipfs_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IpfsNode]:
    subprocess.run([str(NODE_SCRIPT), "install"], check=True, timeout=INSTALL_TIMEOUT)
    workdir = tmp_path_factory.mktemp("ipfs-node")
    api_port, gateway_port = free_port(), free_port()
    log = workdir / "node.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(NODE_SCRIPT), "start", str(workdir / "repo"), str(api_port), str(gateway_port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        api_url = f"http://127.0.0.1:{api_port}"
        wait_for_api(api_url, process, log)
        yield IpfsNode(api_url, f"http://127.0.0.1:{gateway_port}", log)
    finally:
        stop(process)


@pytest.fixture
async def kubo(ipfs_node: IpfsNode) -> AsyncIterator[KuboRpcStore]:
    async with KuboRpcStore(ipfs_node.api_url, fetch_timeout=1.0, has_timeout=0.5) as store:
        yield store


def sample_record() -> SettlementRecord:
    return SettlementRecord(
        kind=RecordKind.ORDER,
        record_id="order-9f1c",
        node_id="tbilisi-1",
        amount_tetri=10_000,
        occurred_at=datetime(2024, 5, 1, 18, 0, tzinfo=UTC),
        mints=(
            Mint(Token.THP, "0x" + "aa" * 20, 980),
            Mint(Token.THP, "0x" + "bb" * 20, 960),
            Mint(Token.THP, "0x" + "cc" * 20, 60),
            Mint(Token.SPOT, "0x" + "aa" * 20, 1_000),
        ),
    )


PAYLOADS = {
    "empty": b"",
    "text": "Хинкали x12 — 36.00 GEL".encode(),
    "record": sample_record().to_bytes(),
    "one full block": os.urandom(MAX_BLOCK_SIZE),
}


@pytest.mark.parametrize("name", list(PAYLOADS))
async def test_add_pin_cat_and_cids_match(kubo: KuboRpcStore, tmp_path: Path, name: str) -> None:
    data = PAYLOADS[name]
    cid = await kubo.add(data)
    local = await LocalBlockStore(tmp_path).add(data)
    assert cid == local == raw_cid(data)
    await kubo.pin(cid)
    assert await kubo.has(cid)
    assert await kubo.cat(cid) == data


async def test_node_lists_the_block_as_pinned(kubo: KuboRpcStore, ipfs_node: IpfsNode) -> None:
    cid = await kubo.add(b"pinned by add")
    await kubo.pin(cid)
    answer = httpx.post(
        f"{ipfs_node.api_url}/api/v0/pin/ls", params={"arg": cid, "cid-base": "base32"}
    )
    assert answer.is_success
    assert cid in answer.json()["Keys"]


async def test_record_cid_is_the_one_the_node_gives(kubo: KuboRpcStore) -> None:
    record = sample_record()
    assert await kubo.add(record.to_bytes()) == record.cid()
    assert SettlementRecord.from_bytes(await kubo.cat(record.cid())) == record


async def test_missing_cid_is_a_clear_error(kubo: KuboRpcStore) -> None:
    missing = raw_cid(b"this block was never added " + os.urandom(8))
    assert not await kubo.has(missing)
    with pytest.raises(IpfsNotFoundError, match=missing):
        await kubo.cat(missing)
    with pytest.raises(IpfsNotFoundError):
        await kubo.pin(missing)


async def test_invalid_cid_is_refused_before_asking(kubo: KuboRpcStore) -> None:
    with pytest.raises(InvalidCidError):
        await kubo.cat("not-a-cid")


async def test_over_one_block_is_refused_because_the_node_would_chunk_it(
    kubo: KuboRpcStore, ipfs_node: IpfsNode
) -> None:
    too_big = os.urandom(MAX_BLOCK_SIZE + 1)
    with pytest.raises(PayloadTooLargeError):
        await kubo.add(too_big)
    # Why: the node makes a UnixFS DAG (dag-pb root), not the raw CID of the bytes.
    answer = httpx.post(
        f"{ipfs_node.api_url}/api/v0/add",
        params={"cid-version": "1", "raw-leaves": "true", "pin": "false"},
        files={"file": ("big", too_big)},
    )
    node_cid = parse_cid(answer.json()["Hash"])
    assert node_cid.codec.name == "dag-pb"
    assert str(node_cid.set(base="base32")) != raw_cid(too_big)


async def test_unreachable_node_is_reported_after_retries() -> None:
    port = free_port()  # bound then released: nothing listens there
    async with KuboRpcStore(f"http://127.0.0.1:{port}", attempts=2) as store:
        started = time.monotonic()
        with pytest.raises(IpfsUnavailableError, match=str(port)):
            await store.add(b"nobody home")
        assert time.monotonic() - started < 5


async def test_an_endpoint_that_is_not_the_rpc_api_is_an_error(ipfs_node: IpfsNode) -> None:
    # The gateway answers HTTP but is not the RPC API: a clear IpfsError, not a crash.
    async with KuboRpcStore(ipfs_node.gateway_url, attempts=1) as store:
        with pytest.raises(IpfsError, match="HTTP"):
            await store.add(b"wrong door")
