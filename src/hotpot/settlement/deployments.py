"""The live deployment of the contracts, deploying (again) when the chain has none.

Idempotent: the newest `chain_deployments` row of the chain id is reused when code is
still present at its four addresses. When it is not (a dev chain reset: anvil started
without its state file), the contracts are deployed again and every batch settled on the
old deployment is abandoned: its outbox rows go back to unsettled, so the relay settles
the whole ledger again on the new contracts, and every governance anchor goes back to
un-anchored, so the relay anchors the tallies again on the new anchor contract
(docs/settlement.md).
"""

from __future__ import annotations

from pathlib import Path

import structlog
from sqlalchemy import text

from hotpot.adapters.database import Database
from hotpot.chain.client import ChainClient
from hotpot.chain.deploy import code_present, deploy_contracts, holds
from hotpot.config import Settings
from hotpot.governance import repository as governance
from hotpot.settlement import repository as repo
from hotpot.settlement.repository import Deployment

log = structlog.get_logger(__name__)

# pg advisory lock key of the deployer (a constant: deployments of one database serialise).
DEPLOY_LOCK = 0x484F54504F54_01

__all__ = ["DEPLOY_LOCK", "Deployment", "ensure_deployed", "vyper_cache"]


def vyper_cache(settings: Settings) -> Path:
    """Where compiled contracts are kept between runs."""
    return settings.hotpot_data_dir / "cache" / "vyper"


async def _same_chain(db: Database, client: ChainClient, found: Deployment) -> bool:
    """Code at the four addresses, the deployment's oldest settled batch in its registry
    and its oldest anchored tally in its anchor contract.

    Anvil deploys to the same addresses on every fresh chain, so code alone cannot tell a
    reset chain from ours; the oldest batch can (newer gaps are `repair_gaps`' business).
    """
    if not await code_present(client, found.addresses):
        return False
    async with db.transaction() as conn:
        oldest = await repo.oldest_settled_batch(conn, found.id)
        first_anchor = await governance.first_anchored_chain_id(conn)
    if oldest is not None and not await holds(
        client, found.addresses.registry, "is_settled(bytes32)", oldest
    ):
        return False
    return first_anchor is None or await holds(
        client, found.addresses.anchor, "is_anchored(bytes32)", first_anchor
    )


async def ensure_deployed(db: Database, client: ChainClient, cache_dir: Path) -> Deployment:
    """The live deployment on the client's chain, deploying (again) when there is none."""
    chain_id = await client.chain_id()
    async with db.primary.connect() as lock_conn:
        await lock_conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": DEPLOY_LOCK})
        await lock_conn.commit()
        try:
            async with db.transaction() as conn:
                found = await repo.current_deployment(conn, chain_id)
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
    deployed = await deploy_contracts(client, cache_dir)
    async with db.transaction() as conn:
        new_id = await repo.record_deployment(
            conn,
            chain_id=chain_id,
            deployer=client.address,
            addresses=deployed.addresses,
            source_hash=deployed.source_hash,
            block_number=deployed.block_number,
        )
        abandoned = await repo.abandon_other_deployments(conn, new_id)
        # Tallies anchored on an older deployment are not on the new anchor contract.
        forgotten = await governance.mark_unanchored(conn, None)
    if abandoned:
        log.warning("batches of a previous deployment abandoned", batches=abandoned)
    if forgotten:
        log.warning("anchors of a previous deployment forgotten", anchors=forgotten)
    log.info(
        "contracts deployed",
        chain_id=chain_id,
        registry=deployed.addresses.registry,
        thp=deployed.addresses.thp,
        spot=deployed.addresses.spot,
    )
    return Deployment(new_id, chain_id, deployed.addresses, deployed.block_number, created=True)
