"""Mints settled per second: batched `settle` against one `mint` transaction per mint.

Same run, same anvil node (started here from tools/chain-tools.sh), same signer. The
baseline grants the signer MINTER_ROLE on THP (a bench-only grant on a throwaway chain)
and sends one `mint` per recipient, waiting for each receipt as a relay would. The
batched side sends `settle` with N distinct new recipients per transaction, each
getting THP and SPOT (2 mints per recipient).

    .venv/bin/python bench/settlement/bench_settlement.py [--mints 400] [--batch 300]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import tempfile
import time
from pathlib import Path

from eth_abi.abi import encode

from hotpot.chain.anvil import EmbeddedAnvil
from hotpot.chain.client import ChainClient
from hotpot.chain.compiler import compile_all
from hotpot.chain.contracts import MINTER_ROLE, Addresses, Changes, Contracts, call_data
from hotpot.config import DEV_RELAY_PRIVATE_KEY


def addresses(n: int) -> list[str]:
    return ["0x" + secrets.token_hex(20) for _ in range(n)]


async def deploy(client: ChainClient, cache: Path) -> Addresses:
    compiled = compile_all(cache)

    async def create(name: str, types: list[str], args: list[object]) -> str:
        receipt = await client.transact(None, compiled[name].bytecode + encode(types, args))
        assert receipt.contract_address
        return str(receipt.contract_address)

    thp = await create("thp", [], [])
    spot = await create("spot", [], [])
    registry = await create("settlement_registry", ["address", "address"], [thp, spot])
    grant = "grantRole(bytes32,address)"
    from hotpot.chain.contracts import SETTLEMENT_ROLE

    for contract, role, who in (
        (thp, MINTER_ROLE, registry),
        (spot, MINTER_ROLE, registry),
        (registry, SETTLEMENT_ROLE, client.address),
        (thp, MINTER_ROLE, client.address),  # the one-tx-per-mint baseline
    ):
        await client.transact(contract, call_data(grant, ["bytes32", "address"], [role, who]))
    return Addresses(thp, spot, registry, registry)


async def main(mints: int, batch: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, EmbeddedAnvil(Path(tmp) / "chain") as node:
        client = ChainClient([node.url], DEV_RELAY_PRIVATE_KEY)
        contracts = Contracts(client, await deploy(client, Path(tmp) / "vyper"))

        start = time.perf_counter()
        for to in addresses(mints):
            await contracts.mint_direct("THP", to, 100)
        single = mints / (time.perf_counter() - start)

        recipients = 4 * batch
        start = time.perf_counter()
        done = 0
        batches = 0
        while done < recipients:
            group = addresses(min(batch, recipients - done))
            changes = Changes([(a, 100) for a in group], [(a, 10) for a in group], [], [])
            await contracts.settle(
                secrets.token_bytes(32), secrets.token_bytes(32), "bafkrei-bench", changes
            )
            done += len(group)
            batches += 1
        batched = 2 * done / (time.perf_counter() - start)
        print(f"one transaction per mint: {mints} mints, {single:,.0f} mints/s")
        print(
            f"batched settle ({batch} recipients x 2 tokens per tx): {2 * done} mints in "
            f"{batches} transactions, {batched:,.0f} mints/s ({batched / single:.1f}x)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--mints", type=int, default=400)
    parser.add_argument("--batch", type=int, default=300)
    args = parser.parse_args()
    asyncio.run(main(args.mints, args.batch))
