"""The embedded IPFS store: blocks on disk, named by the CID Kubo would give them."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotpot.adapters.ipfs import (
    MAX_BLOCK_SIZE,
    InvalidCidError,
    IpfsIntegrityError,
    IpfsNotFoundError,
    IpfsStore,
    KuboRpcStore,
    LocalBlockStore,
    PayloadTooLargeError,
    api_base_url,
    open_ipfs_store,
)
from hotpot.domain.canonical import (
    Mint,
    RecordKind,
    SettlementRecord,
    Token,
    parse_cid,
    raw_cid,
)


@pytest.fixture
def store(tmp_path: Path) -> LocalBlockStore:
    return LocalBlockStore(tmp_path / "blocks")


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


async def test_add_cat_has_pin(store: LocalBlockStore) -> None:
    data = b"a settled receipt"
    cid = await store.add(data)
    assert cid == raw_cid(data)
    assert await store.has(cid)
    assert await store.cat(cid) == data
    await store.pin(cid)
    assert store.path_for(cid).read_bytes() == data
    # Sharded like Kubo's flatfs: the folder is the CID's next-to-last two characters.
    assert store.path_for(cid).parent.name == cid[-3:-1]


async def test_missing_block_is_a_clear_error(store: LocalBlockStore) -> None:
    missing = raw_cid(b"never stored")
    assert not await store.has(missing)
    with pytest.raises(IpfsNotFoundError, match=missing):
        await store.cat(missing)
    with pytest.raises(IpfsNotFoundError):
        await store.pin(missing)


async def test_add_is_idempotent_and_leaves_no_temp_files(store: LocalBlockStore) -> None:
    cids = await asyncio.gather(*(store.add(b"same bytes") for _ in range(8)))
    assert set(cids) == {raw_cid(b"same bytes")}
    assert files_under(store.root) == [store.path_for(cids[0])]


async def test_block_size_limit(store: LocalBlockStore) -> None:
    largest = os.urandom(MAX_BLOCK_SIZE)
    assert await store.cat(await store.add(largest)) == largest
    with pytest.raises(PayloadTooLargeError):
        await store.add(largest + b"!")
    assert len(files_under(store.root)) == 1


async def test_empty_payload_is_a_block_too(store: LocalBlockStore) -> None:
    cid = await store.add(b"")
    assert await store.cat(cid) == b""


async def test_corrupted_block_is_refused_not_served(store: LocalBlockStore) -> None:
    cid = await store.add(b"original")
    store.path_for(cid).write_bytes(b"tampered")
    with pytest.raises(IpfsIntegrityError):
        await store.cat(cid)


async def test_a_failed_write_leaves_nothing_behind(
    store: LocalBlockStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space"):
        await store.add(b"half written")
    monkeypatch.undo()
    assert files_under(store.root) == []
    assert not await store.has(raw_cid(b"half written"))


async def test_other_spellings_of_a_cid_find_the_block(store: LocalBlockStore) -> None:
    cid = await store.add(b"spelling")
    base58 = str(parse_cid(cid).set(base="base58btc"))
    assert base58 != cid
    assert await store.cat(base58) == b"spelling"


@pytest.mark.parametrize("bad", ["", "hello", "bafkrei", "../../etc/passwd"])
async def test_invalid_cids_are_refused(store: LocalBlockStore, bad: str) -> None:
    with pytest.raises(InvalidCidError):
        await store.has(bad)
    with pytest.raises(InvalidCidError):
        await store.cat(bad)


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=4096))
def test_local_cid_equals_canonical_cid(tmp_path: Path, data: bytes) -> None:
    # A sync test running its own loop: hypothesis cannot drive an async test function.
    async def round_trip() -> tuple[str, bytes]:
        store = LocalBlockStore(tmp_path / "prop")
        cid = await store.add(data)
        return cid, await store.cat(raw_cid(data))

    cid, served = asyncio.run(round_trip())
    assert cid == raw_cid(data)
    assert served == data


async def test_a_settlement_record_round_trips(store: LocalBlockStore) -> None:
    record = SettlementRecord(
        kind=RecordKind.RECEIPT,
        record_id="r-42",
        node_id="node-1",
        amount_tetri=1_234,
        occurred_at=datetime(2024, 6, 1, tzinfo=UTC),
        mints=(Mint(Token.THP, "0x" + "22" * 20, 121),),
    )
    cid = await store.add(record.to_bytes())
    assert cid == record.cid()
    assert SettlementRecord.from_bytes(await store.cat(cid)) == record


def test_store_selection_and_protocol(tmp_path: Path) -> None:
    local = open_ipfs_store(None, tmp_path)
    assert isinstance(local, LocalBlockStore)
    assert local.root == tmp_path / "ipfs" / "blocks"
    remote = open_ipfs_store("http://127.0.0.1:5001/", tmp_path)
    assert isinstance(remote, KuboRpcStore)
    assert remote.api_url == "http://127.0.0.1:5001"
    assert isinstance(local, IpfsStore)
    assert isinstance(remote, IpfsStore)


@pytest.mark.parametrize(
    ("given_url", "expected"),
    [
        ("http://ipfs:5001", "http://ipfs:5001"),
        ("/ip4/127.0.0.1/tcp/5001", "http://127.0.0.1:5001"),
        ("/dns/ipfs.internal/tcp/443/https", "https://ipfs.internal:443"),
        ("/ip6/::1/tcp/5001", "http://[::1]:5001"),
    ],
)
def test_api_url_forms(given_url: str, expected: str) -> None:
    assert api_base_url(given_url) == expected


def test_api_url_garbage_is_refused() -> None:
    with pytest.raises(ValueError, match="IPFS_API_URL"):
        api_base_url("ipfs:5001")
