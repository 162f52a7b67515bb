"""What the settlement routes ask: a record's proof, its verification against the chain,
a wallet's settled/pending split, the network and contracts an outsider verifies against,
and a published block by its CID. Refusals are domain errors (`hotpot.domain.errors`)."""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

from hotpot.accounts import repository as accounts
from hotpot.adapters.ipfs import (
    InvalidCidError,
    IpfsError,
    IpfsIntegrityError,
    IpfsNotFoundError,
    IpfsUnavailableError,
)
from hotpot.chain.client import ChainError
from hotpot.chain.contracts import Contracts
from hotpot.context import AppContext
from hotpot.domain.canonical import CanonicalError, parse_canonical, parse_cid
from hotpot.domain.errors import NotFound, Unavailable
from hotpot.domain.settlement import TOKENS, Network, Proof, Verification, WalletSettlement
from hotpot.settlement import repository as repo
from hotpot.settlement import views
from hotpot.settlement.proofs import proof_for, verify_proof

VERIFY_RETRY_SECONDS = 30


async def proof(ctx: AppContext, ref_kind: str, ref_id: str) -> Proof:
    found = await proof_for(ctx.db, ref_kind, ref_id)
    if found is None:
        raise NotFound("not_settled", f"no settlement record for {ref_kind} {ref_id}")
    return found


async def proof_with_record(ctx: AppContext, ref_kind: str, ref_id: str) -> Proof:
    """The proof carrying the record document itself, read from the record store.

    A block the store has lost or holds damaged leaves `record` None (the proof still
    stands; the record may be held elsewhere); a store that cannot answer is Unavailable.
    """
    found = await proof(ctx, ref_kind, ref_id)
    try:
        data = await ctx.store.cat(found.record_cid)
    except IpfsUnavailableError as exc:
        raise Unavailable(
            "record_store_unavailable",
            f"cannot read the record now: {exc}",
            retry_after=VERIFY_RETRY_SECONDS,
        ) from exc
    except IpfsError:
        return found
    try:
        document = parse_canonical(data)
    except CanonicalError:
        return found
    return replace(found, record=document) if isinstance(document, dict) else found


async def network(ctx: AppContext) -> Network:
    """The chain id and the live contracts, as recorded by the deployment on that chain."""
    try:
        chain_id = await ctx.chain.chain_id() if ctx.chain is not None else ctx.settings.chain_id
    except ChainError as exc:
        raise Unavailable(
            "chain_unavailable", f"cannot reach the chain: {exc}", retry_after=VERIFY_RETRY_SECONDS
        ) from exc
    async with ctx.db.read() as conn:
        deployment = await repo.current_deployment(conn, chain_id)
    if deployment is None:
        raise NotFound("not_deployed", f"no contracts are deployed on chain {chain_id} yet")
    addresses = deployment.addresses
    return Network(
        chain_id=chain_id,
        rpc_url=ctx.settings.chain_public_rpc_url,
        thp=addresses.thp.lower(),
        spot=addresses.spot.lower(),
        registry=addresses.registry.lower(),
        anchor=addresses.anchor.lower(),
        deployed_block=deployment.block_number,
    )


async def published_block(ctx: AppContext, cid: str) -> bytes:
    """The bytes of a raw block the record store holds itself (records, manifests).

    Never fetched from the IPFS network: only what the store has locally is served, so
    the route is no open gateway. The store re-hashes what it reads against the CID.
    """
    try:
        parsed = parse_cid(cid)
    except (CanonicalError, IndexError) as exc:  # multiformats: IndexError on "b", "z", ...
        # A string that is no CID names no block: 404, as for any block not stored.
        raise NotFound("invalid_cid", f"not a CID: {cid!r}") from exc
    if parsed.codec.name != "raw":
        raise NotFound("not_stored", f"{cid} is not a raw block; only raw blocks are published")
    try:
        if not await ctx.store.has(cid):
            raise NotFound("not_stored", f"no block {cid} in the record store")
        return await ctx.store.cat(cid)
    except InvalidCidError as exc:
        raise NotFound("invalid_cid", str(exc)) from exc
    except IpfsNotFoundError as exc:
        raise NotFound("not_stored", f"no block {cid} in the record store") from exc
    except IpfsIntegrityError as exc:
        # The store's copy is damaged: never served; an operator restores it.
        raise Unavailable(
            "block_damaged", f"the stored block {cid} is damaged", retry_after=VERIFY_RETRY_SECONDS
        ) from exc
    except IpfsError as exc:
        raise Unavailable(
            "record_store_unavailable",
            f"cannot read the block now: {exc}",
            retry_after=VERIFY_RETRY_SECONDS,
        ) from exc


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
