"""Issue 10 item 21: an outside party verifies from the docs alone.

The platform runs as a real HTTP server (uvicorn on a free port) on the settled chain;
`tools/verifier/verify.mjs` (docs/verify.md, standard npm packages only: ethers,
multiformats, @openzeppelin/merkle-tree, canonicalize) checks an order and a receipt
against the API, the gateway route and the chain's JSON-RPC, and must refuse a tampered
record and a damaged stored block.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from hotpot.config import Settings
from hotpot.context import AppContext
from hotpot.domain.canonical import canonical_json, raw_cid
from hotpot.settlement import repository as repo
from tests.conftest import PROJECT_ROOT
from tests.support import LiveServer, World, ok

from .conftest import Chain
from .test_settlement_e2e import till_sale

TOOLS = PROJECT_ROOT / "tools" / "verify-tools.sh"
IMMUTABLE = "public, max-age=29030400, immutable"


@pytest.fixture(scope="module")
def verifier_installed() -> None:
    # The project's own tools script installs the pinned npm packages (cached, idempotent).
    subprocess.run(["bash", str(TOOLS), "install"], check=True, timeout=600)


async def run_verifier(*args: str) -> tuple[int, dict[str, Any]]:
    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(TOOLS), "run", *args],
            capture_output=True,
            text=True,
            timeout=120,
            env=os.environ.copy(),
        )

    done = await asyncio.to_thread(run)
    try:
        report = json.loads(done.stdout)
    except ValueError:
        raise AssertionError(f"no report: {done.stdout!r} {done.stderr!r}") from None
    return done.returncode, report


@pytest.fixture
def live(chain_settings: Settings) -> Any:
    # The chain's data dir: the server's record store is the one the relay wrote.
    settings = chain_settings.model_copy(
        update={
            "settlement_relay_in_process": False,
            "chain_public_rpc_url": chain_settings.chain_rpc_urls[0],
        }
    )
    with LiveServer(settings) as server:
        yield server


async def settled_order_and_receipt(world: World, chain: Chain) -> tuple[str, str]:
    _, token = await world.customer()
    item = await world.item(price=12_340, portions=5)
    order = await world.order(token, world.node_a, item)
    await world.complete(order["id"])
    sale = await till_sale(world, price=3_210)
    assert await chain.settle() > 0
    return str(order["id"]), str(sale["receipt_id"])


async def test_an_outsider_verifies_an_order_and_a_receipt_and_refuses_tampering(
    world: World,
    chain: Chain,
    verifier_installed: None,
    live: LiveServer,
    tmp_path: Path,
) -> None:
    order_id, receipt_id = await settled_order_and_receipt(world, chain)
    rpc = chain.settings.chain_rpc_urls[0]
    for kind, ref in (("order", order_id), ("receipt", receipt_id)):
        # No --rpc: the verifier takes the RPC URL the network route names.
        code, report = await run_verifier("--api", live.url, kind, ref)
        assert code == 0 and report["valid"], report
        assert report["checks"]["root_on_chain"] and report["checks"]["tx_settled_batch"]
        assert report["checks"]["proof_reaches_root"] and report["checks"]["manifest_lists_record"]

    # A record someone hands over with one figure changed: its CID, leaf and proof fail.
    async with httpx.AsyncClient(base_url=live.url) as http:
        proof = ok(await http.get(f"/api/v1/settlement/proofs/order/{order_id}"))
    forged = dict(proof["record"], amount_tetri=proof["record"]["amount_tetri"] + 1)
    path = tmp_path / "record.json"
    path.write_bytes(canonical_json(forged))
    code, report = await run_verifier(
        "--api", live.url, "--rpc", rpc, "--record", str(path), "order", order_id
    )
    assert code == 1 and not report["valid"], report
    failed = {name for name, passed in report["checks"].items() if not passed}
    assert {"record_cid", "leaf", "proof_reaches_root", "proof_folds_to_root"} <= failed
    assert report["checks"]["root_on_chain"]  # the chain itself still checks out
    # The genuine bytes given the same way pass.
    path.write_bytes(canonical_json(proof["record"]))
    code, report = await run_verifier(
        "--api", live.url, "--rpc", rpc, "--record", str(path), "order", order_id
    )
    assert code == 0, report

    # A damaged block in the store is never served, so the verifier cannot pass.
    block = chain.store.path_for(proof["record_cid"])
    genuine = block.read_bytes()
    block.write_bytes(canonical_json(forged))
    try:
        code, report = await run_verifier("--api", live.url, "--rpc", rpc, "order", order_id)
        assert code == 1 and report["checks"]["record_fetched"] is False, report
        async with httpx.AsyncClient(base_url=live.url) as http:
            damaged = await http.get(f"/ipfs/{proof['record_cid']}")
            assert damaged.status_code == 503 and damaged.json()["code"] == "block_damaged"
            assert int(damaged.headers["Retry-After"]) > 0
            # The proof still answers, without a record it cannot vouch for.
            again = ok(await http.get(f"/api/v1/settlement/proofs/order/{order_id}"))
            assert again["record"] is None and again["record_cid"] == proof["record_cid"]
    finally:
        block.write_bytes(genuine)


async def test_the_proof_carries_what_verification_needs(
    world: World, chain: Chain, ctx: AppContext, live: LiveServer
) -> None:
    order_id, receipt_id = await settled_order_and_receipt(world, chain)
    async with ctx.db.read() as conn:
        deployment = await repo.current_deployment(conn, 31337)
    assert deployment is not None
    async with httpx.AsyncClient(base_url=live.url) as http:
        network = ok(await http.get("/api/v1/settlement/network"))
        assert network["chain_id"] == 31337
        assert network["rpc_url"] == chain.settings.chain_rpc_urls[0]  # CHAIN_PUBLIC_RPC_URL
        assert network["registry"] == deployment.addresses.registry.lower()
        assert network["thp"] == deployment.addresses.thp.lower()
        assert network["spot"] == deployment.addresses.spot.lower()
        assert network["anchor"] == deployment.addresses.anchor.lower()
        for kind, ref in (("order", order_id), ("receipt", receipt_id)):
            proof = ok(await http.get(f"/api/v1/settlement/proofs/{kind}/{ref}"))
            assert proof["chain_id"] == 31337 and proof["registry"] == network["registry"]
            assert proof["tx_hash"].startswith("0x") and proof["leaf"].startswith("0x")
            record = canonical_json(proof["record"])
            assert raw_cid(record) == proof["record_cid"]
            assert proof["record"]["kind"] == kind and proof["record"]["id"] == proof["ref_id"]
            # The gateway route serves the stored bytes themselves, for good.
            served = await http.get(f"/ipfs/{proof['record_cid']}")
            assert served.status_code == 200 and served.content == record
            assert served.headers["content-type"] == "application/json"
            assert served.headers["cache-control"] == IMMUTABLE
            assert served.headers["etag"] == f'"{proof["record_cid"]}"'
            again = await http.get(
                f"/ipfs/{proof['record_cid']}", headers={"If-None-Match": served.headers["etag"]}
            )
            assert again.status_code == 304 and again.content == b""
            block = await http.get(f"/ipfs/{proof['record_cid']}?format=raw")
            assert block.headers["content-type"] == "application/vnd.ipld.raw"
            assert block.content == record
            manifest = await http.get(f"/ipfs/{proof['batch_cid']}")
            assert manifest.status_code == 200
            assert raw_cid(manifest.content) == proof["batch_cid"]
            assert proof["record_cid"] in manifest.json()["records"]
        unknown = await http.get(f"/ipfs/{raw_cid(b'never stored')}")
        assert unknown.status_code == 404 and unknown.json()["code"] == "not_stored"
        for bad in ("not-a-cid", "b", "z"):
            refused = await http.get(f"/ipfs/{bad}")
            assert refused.status_code == 404 and refused.json()["code"] == "invalid_cid", bad
        odd = await http.get("/ipfs/bafk%20rei")
        assert odd.status_code == 422
