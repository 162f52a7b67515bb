"""Proofs: for an order or receipt, its record's CID, the batch root, the Merkle proof and
the transaction; and verification of all of it against the root recorded on chain."""

from __future__ import annotations

from dataclasses import dataclass, field

from hotpot.adapters.database import Database
from hotpot.adapters.ipfs import IpfsError, IpfsStore
from hotpot.chain.contracts import Contracts
from hotpot.domain.canonical import CanonicalError, SettlementRecord
from hotpot.domain.merkle import MerkleTree, from_hex, leaf_hash, to_hex, verify
from hotpot.settlement import repository as repo


@dataclass(frozen=True)
class Proof:
    ref_kind: str
    ref_id: str
    record_cid: str
    batch_id: str
    batch_cid: str
    merkle_root: str
    leaf: str
    proof: list[str]
    status: str
    tx_hash: str | None
    block_number: int | None


@dataclass
class Verification:
    proof: Proof
    valid: bool
    checks: dict[str, bool] = field(default_factory=dict)
    detail: str = ""


async def proof_for(db: Database, ref_kind: str, ref_id: str) -> Proof | None:
    async with db.read() as conn:
        row = await repo.record_of(conn, ref_kind, ref_id)
    if row is None or row.status == "abandoned":
        return None
    leaves = [from_hex(h) for h in row.leaves]
    tree = MerkleTree.from_leaves(leaves)
    return Proof(
        ref_kind=ref_kind,
        ref_id=ref_id,
        record_cid=row.record_cid,
        batch_id=row.batch_id,
        batch_cid=row.cid,
        merkle_root=row.merkle_root,
        leaf=to_hex(tree.leaf(row.leaf_index)),
        proof=[to_hex(p) for p in tree.proof(row.leaf_index)],
        status=row.status,
        tx_hash=row.tx_hash,
        block_number=row.block_number,
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
