"""What the settlement routes ask: a record's proof, its verification against the chain,
and a wallet's settled/pending split. Refusals are domain errors (`hotpot.domain.errors`)."""

from __future__ import annotations

from uuid import UUID

from hotpot.accounts import repository as accounts
from hotpot.adapters.ipfs import IpfsError
from hotpot.chain.client import ChainError
from hotpot.chain.contracts import Contracts
from hotpot.context import AppContext
from hotpot.domain.errors import NotFound, Unavailable
from hotpot.domain.settlement import TOKENS, Proof, Verification, WalletSettlement
from hotpot.settlement import repository as repo
from hotpot.settlement import views
from hotpot.settlement.proofs import proof_for, verify_proof

VERIFY_RETRY_SECONDS = 30


async def proof(ctx: AppContext, ref_kind: str, ref_id: str) -> Proof:
    found = await proof_for(ctx.db, ref_kind, ref_id)
    if found is None:
        raise NotFound("not_settled", f"no settlement record for {ref_kind} {ref_id}")
    return found


async def verification(ctx: AppContext, ref_kind: str, ref_id: str) -> Verification:
    """The record and its proof checked against the root recorded on chain."""
    found = await proof(ctx, ref_kind, ref_id)
    client = ctx.require_chain()
    try:
        chain_id = await client.chain_id()
        async with ctx.db.read() as conn:
            deployment = await repo.current_deployment(conn, chain_id)
        if deployment is None:
            raise Unavailable(
                "chain_unavailable",
                "no contracts deployed on the chain",
                retry_after=VERIFY_RETRY_SECONDS,
            )
        return await verify_proof(found, ctx.store, Contracts(client, deployment.addresses))
    except (ChainError, IpfsError) as exc:
        raise Unavailable(
            "chain_unavailable", f"cannot verify now: {exc}", retry_after=VERIFY_RETRY_SECONDS
        ) from exc


async def wallet_settlement(ctx: AppContext, account_id: UUID) -> WalletSettlement:
    """Per token: units settled on chain and units still pending, for the account's wallet."""
    async with ctx.db.read() as conn:
        account = await accounts.by_id(conn, account_id)
        address = account["wallet_address"] if account is not None else None
        split = (
            await views.settled_and_pending(conn, address)
            if address
            else {t: (0, 0) for t in TOKENS}
        )
    return WalletSettlement(address=address, tokens=split)
