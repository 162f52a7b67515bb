"""Proofs: for an order or receipt, its record's CID, the batch root, the Merkle proof and
the transaction; and verification of all of it against the root recorded on chain. For a
finalized proposal: its anchored tally and votes root against the database."""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.adapters.database import Database
from hotpot.adapters.ipfs import IpfsError, IpfsStore
from hotpot.chain.contracts import Contracts
from hotpot.domain import governance as rules
from hotpot.domain.canonical import CanonicalError, SettlementRecord, parse_canonical
from hotpot.domain.merkle import MerkleTree, from_hex, leaf_hash, to_hex, verify
from hotpot.domain.settlement import AnchorVerification, Proof, Verification
from hotpot.governance import repository as governance
from hotpot.sales import repository as sales
from hotpot.settlement import views


async def record_id_of(conn: AsyncConnection, ref_kind: str, ref_id: str) -> str | None:
    """The id the settlement record carries for what a customer holds.

    A receipt is verified by the id printed on it (domain.md), but its record is the
    sale's (the sale is what minted): the receipt's row names that sale.
    """
    if ref_kind != "receipt":
        return ref_id
    try:
        receipt_id = UUID(ref_id)
    except ValueError:
        return None
    row = await sales.receipt(conn, receipt_id)
    return None if row is None else str(row["sale_id"])


async def proof_for(db: Database, ref_kind: str, ref_id: str) -> Proof | None:
    """The proof of an order (by its id) or a receipt (by the id printed on it)."""
    async with db.read() as conn:
        record_id = await record_id_of(conn, ref_kind, ref_id)
        row = None if record_id is None else await views.record_of(conn, ref_kind, record_id)
    if record_id is None or row is None or row.status == "abandoned":
        return None
    leaves = [from_hex(h) for h in row.leaves]
    tree = MerkleTree.from_leaves(leaves)
    return Proof(
        ref_kind=ref_kind,
        ref_id=record_id,
        record_cid=row.record_cid,
        batch_id=row.batch_id,
        batch_cid=row.cid,
        merkle_root=row.merkle_root,
        leaf=to_hex(tree.leaf(row.leaf_index)),
        proof=[to_hex(p) for p in tree.proof(row.leaf_index)],
        status=row.status,
        tx_hash=row.tx_hash,
        block_number=row.block_number,
        chain_id=int(row.chain_id),
        registry=str(row.registry).lower(),
    )


async def verify_proof(
    proof: Proof, store: IpfsStore, contracts: Contracts, data: bytes | None = None
) -> Verification:
    """Check the record bytes (from the store unless given), the proof, and the chain root."""
    result = Verification(proof=proof, valid=False)
    try:
        data = data if data is not None else await store.cat(proof.record_cid)
    except IpfsError as exc:
        result.detail = f"record not available intact: {exc}"
        result.checks["record_available"] = False
        return result
    try:
        record = SettlementRecord.from_bytes(data)
        result.checks["record_canonical"] = True
        result.proof = replace(proof, record=parse_canonical(data))
        result.checks["record_matches_ref"] = (record.kind.value, record.record_id) == (
            proof.ref_kind,
            proof.ref_id,
        )
    except CanonicalError as exc:
        result.checks["record_canonical"] = False
        result.detail = str(exc)
    root = from_hex(proof.merkle_root)
    result.checks["proof_reaches_root"] = verify(
        [from_hex(p) for p in proof.proof], root, leaf_hash(data)
    )
    on_chain = await contracts.batch(from_hex(proof.batch_id))
    result.checks["root_on_chain"] = on_chain.merkle_root == root
    result.checks["cid_on_chain"] = on_chain.cid == proof.batch_cid
    result.valid = all(result.checks.values())
    if not result.valid and not result.detail:
        failed = [name for name, ok in result.checks.items() if not ok]
        result.detail = "failed: " + ", ".join(failed)
    return result


async def verify_anchor(
    db: Database, contracts: Contracts, proposal_id: UUID
) -> AnchorVerification | None:
    """A finalized proposal's tally on chain against the database; None if not finalized.

    Checks: the votes stored in the database give the proposal's votes root again; the
    anchor row carries the proposal's final tally; the chain has an anchor for the
    proposal; and that anchor's weights, outcome and root equal the row's.
    """
    async with db.read() as conn:
        proposal = await governance.proposal_tally(conn, proposal_id)
        row = await governance.anchor_of(conn, proposal_id)
        votes = await governance.proposal_votes(conn, proposal_id)
    if proposal is None or row is None:
        return None
    chain_id = from_hex(row.chain_proposal_id)
    on_chain = await contracts.tally(chain_id)
    tx = row.tx_hash
    if on_chain.anchored and tx is None:
        tx = await contracts.anchor_tx(chain_id, on_chain.block_number)
    result = AnchorVerification(anchor=row, on_chain=on_chain, tx_hash=tx)
    root = rules.votes_root(str(proposal_id), [(a, rules.VoteChoice(c), w) for a, c, w in votes])
    result.checks["votes_give_root"] = to_hex(root) == str(proposal.votes_root).lower()
    result.checks["anchor_row_is_final_tally"] = (
        row.votes_root.lower(),
        row.for_units,
        row.against_units,
        row.abstain_units,
        row.passed,
        row.vote_count,
        row.chain_proposal_id.lower(),
    ) == (
        str(proposal.votes_root).lower(),
        proposal.for_units,
        proposal.against_units,
        proposal.abstain_units,
        proposal.outcome == rules.Outcome.PASSED.value,
        proposal.vote_count,
        to_hex(rules.chain_proposal_id(proposal_id.bytes)),
    )
    result.checks["anchored_on_chain"] = on_chain.anchored
    result.checks["tally_on_chain"] = on_chain.anchored and row.matches(on_chain)
    result.valid = all(result.checks.values())
    if not result.valid:
        result.detail = "failed: " + ", ".join(n for n, ok in result.checks.items() if not ok)
    return result
