"""Deploying the four contracts (THP, SPOT, the registry, the anchor) and wiring their roles.

Only the chain: which deployment is live, and what happens to the database when the
contracts are deployed again, is settlement's business (`settlement.deployments`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from eth_abi.abi import encode

from hotpot.chain.client import ChainClient, ChainError
from hotpot.chain.compiler import compile_all
from hotpot.chain.contracts import (
    ANCHOR_ROLE,
    BURNER_ROLE,
    MINTER_ROLE,
    SETTLEMENT_ROLE,
    Addresses,
    call_data,
)


@dataclass(frozen=True)
class DeployedContracts:
    addresses: Addresses
    block_number: int
    source_hash: str  # name:hash of every compiled source, to tell builds apart


async def code_present(client: ChainClient, addresses: Addresses) -> bool:
    codes = [
        await client.code_at(a)
        for a in (addresses.thp, addresses.spot, addresses.registry, addresses.anchor)
    ]
    return all(len(code) > 0 for code in codes)


async def holds(client: ChainClient, contract: str, signature: str, key: str) -> bool:
    """A `bool f(bytes32)` view of `contract` answers true for the 0x-hex `key`."""
    raw = await client.eth_call(
        contract, call_data(signature, ["bytes32"], [bytes.fromhex(key.removeprefix("0x"))])
    )
    return raw[-1:] == b"\x01"


async def deploy_contracts(client: ChainClient, cache_dir: Path) -> DeployedContracts:
    """Compile, create the four contracts and grant the relay's key its roles."""
    compiled = await asyncio.to_thread(compile_all, cache_dir)

    async def create(name: str, ctor_types: list[str], args: list[object]) -> str:
        initcode = compiled[name].bytecode + encode(ctor_types, args)
        receipt = await client.transact(None, initcode)
        if receipt.contract_address is None:
            raise ChainError(f"deploying {name} gave no contract address")
        return str(receipt.contract_address)

    thp = await create("thp", [], [])
    spot = await create("spot", [], [])
    registry = await create("settlement_registry", ["address", "address"], [thp, spot])
    anchor = await create("governance_anchor", [], [])
    grants = [
        (thp, MINTER_ROLE, registry),
        (spot, MINTER_ROLE, registry),
        (thp, BURNER_ROLE, registry),
        (spot, BURNER_ROLE, registry),
        (registry, SETTLEMENT_ROLE, client.address),
        (anchor, ANCHOR_ROLE, client.address),
    ]
    for contract, role_id, account in grants:
        await client.transact(
            contract,
            call_data("grantRole(bytes32,address)", ["bytes32", "address"], [role_id, account]),
        )
    block = await client.block_number()
    source = ",".join(f"{n}:{compiled[n].source_hash[:16]}" for n in sorted(compiled))
    return DeployedContracts(Addresses(thp, spot, registry, anchor), block, source)
