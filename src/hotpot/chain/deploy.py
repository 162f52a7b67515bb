"""`hotpot chain deploy`: the four contracts on the configured chain, once.

Idempotent: the newest `chain_deployments` row of the chain id is reused when code is
still present at its four addresses. When it is not (a dev chain reset: anvil started
without its state file), the contracts are deployed again and every batch settled on the
old deployment is abandoned: its outbox rows go back to unsettled, so the relay settles
the whole ledger again on the new contracts, and every governance anchor goes back to
un-anchored, so the relay anchors the tallies again on the new anchor contract
(docs/settlement.md).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import structlog
from eth_abi.abi import encode
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.adapters.database import Database
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
from hotpot.governance.tables import governance_anchors
from hotpot.ledger.tables import outbox
from hotpot.settlement.tables import chain_deployments, settlement_batches, settlement_records

log = structlog.get_logger(__name__)

# pg advisory lock key of the deployer (a constant: deployments of one database serialise).
DEPLOY_LOCK = 0x484F54504F54_01


@dataclass(frozen=True)
class Deployment:
    id: int
    chain_id: int
    addresses: Addresses
    block_number: int
    created: bool  # True when this call deployed the contracts


async def current_deployment(conn: AsyncConnection, chain_id: int) -> Deployment | None:
    row = (
        await conn.execute(
            select(chain_deployments)
            .where(chain_deployments.c.chain_id == chain_id)
            .order_by(chain_deployments.c.id.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    return Deployment(
        id=int(row.id),
        chain_id=int(row.chain_id),
        addresses=Addresses(row.thp, row.spot, row.registry, row.anchor),
        block_number=int(row.block_number),
        created=False,
    )


async def code_present(client: ChainClient, addresses: Addresses) -> bool:
    codes = [
        await client.code_at(a)
        for a in (addresses.thp, addresses.spot, addresses.registry, addresses.anchor)
    ]
    return all(len(code) > 0 for code in codes)


async def _same_chain(db: Database, client: ChainClient, found: Deployment) -> bool:
    """Code at the four addresses, the deployment's oldest settled batch in its registry
    and its oldest anchored tally in its anchor contract.

    Anvil deploys to the same addresses on every fresh chain, so code alone cannot tell a
    reset chain from ours; the oldest batch can (newer gaps are `repair_gaps`' business).
    """
    if not await code_present(client, found.addresses):
        return False
    async with db.transaction() as conn:
        oldest = await conn.scalar(
            select(settlement_batches.c.batch_id)
            .where(
                settlement_batches.c.deployment_id == found.id,
                settlement_batches.c.status == "settled",
            )
            .order_by(settlement_batches.c.settled_at, settlement_batches.c.batch_id)
            .limit(1)
        )
        first_anchor = await conn.scalar(
            select(governance_anchors.c.chain_proposal_id)
            .where(governance_anchors.c.anchored_at.is_not(None))
            .order_by(governance_anchors.c.anchored_at, governance_anchors.c.proposal_id)
            .limit(1)
        )
    checks = []
    if oldest is not None:
        checks.append((found.addresses.registry, "is_settled(bytes32)", oldest))
    if first_anchor is not None:
        checks.append((found.addresses.anchor, "is_anchored(bytes32)", first_anchor))
    for contract, signature, key in checks:
        raw = await client.eth_call(
            contract, call_data(signature, ["bytes32"], [bytes.fromhex(key[2:])])
        )
        if raw[-1:] != b"\x01":
            return False
    return True


async def ensure_deployed(db: Database, client: ChainClient, cache_dir: Path) -> Deployment:
    """The live deployment on the client's chain, deploying (again) when there is none."""
    chain_id = await client.chain_id()
    async with db.primary.connect() as lock_conn:
        await lock_conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": DEPLOY_LOCK})
        await lock_conn.commit()
        try:
            async with db.transaction() as conn:
                found = await current_deployment(conn, chain_id)
            if found is not None and await _same_chain(db, client, found):
                return found
            if found is not None:
                log.warning(
                    "recorded contracts have no code on chain (chain reset): redeploying",
                    chain_id=chain_id,
                    registry=found.addresses.registry,
                )
            return await _deploy(db, client, chain_id, cache_dir)
        finally:
            await lock_conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": DEPLOY_LOCK})
            await lock_conn.commit()


async def _deploy(db: Database, client: ChainClient, chain_id: int, cache_dir: Path) -> Deployment:
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
    addresses = Addresses(thp, spot, registry, anchor)
    source = ",".join(f"{n}:{compiled[n].source_hash[:16]}" for n in sorted(compiled))
    async with db.transaction() as conn:
        new_id = await conn.scalar(
            insert(chain_deployments)
            .values(
                chain_id=chain_id,
                deployer=client.address,
                thp=thp,
                spot=spot,
                registry=registry,
                anchor=anchor,
                source_hash=source,
                block_number=block,
            )
            .returning(chain_deployments.c.id)
        )
        await abandon_other_deployments(conn, int(new_id))
        await forget_anchors(conn)
    log.info("contracts deployed", chain_id=chain_id, registry=registry, thp=thp, spot=spot)
    return Deployment(int(new_id), chain_id, addresses, block, created=True)


async def abandon_other_deployments(conn: AsyncConnection, deployment_id: int) -> int:
    """Batches of older deployments no longer exist on chain: their rows settle again."""
    stale = select(settlement_batches.c.batch_id).where(
        settlement_batches.c.deployment_id != deployment_id,
        settlement_batches.c.status != "abandoned",
    )
    ids = [row.batch_id for row in await conn.execute(stale)]
    if not ids:
        return 0
    await conn.execute(delete(settlement_records).where(settlement_records.c.batch_id.in_(ids)))
    await conn.execute(
        update(outbox)
        .where(outbox.c.batch_id.in_(ids))
        .values(batch_id=None, settled_at=None, tx_hash=None, block_number=None)
    )
    await conn.execute(
        update(settlement_batches)
        .where(settlement_batches.c.batch_id.in_(ids))
        .values(status="abandoned")
    )
    log.warning("batches of a previous deployment abandoned", batches=len(ids))
    return len(ids)


async def forget_anchors(conn: AsyncConnection) -> int:
    """Tallies anchored on an older deployment are not on the new anchor contract."""
    done = await conn.execute(
        update(governance_anchors)
        .where(governance_anchors.c.anchored_at.is_not(None))
        .values(anchored_at=None, tx_hash=None)
    )
    if done.rowcount:
        log.warning("anchors of a previous deployment forgotten", anchors=done.rowcount)
    return int(done.rowcount)
