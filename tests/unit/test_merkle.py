"""Merkle trees: every proof verifies, any tampering fails, and the EVM agrees.

The EVM check compiles a tiny Vyper contract around snekmate's
`merkle_proof_verification._verify` (titanoboa, in-process) and feeds it our proofs.
"""

from __future__ import annotations

import boa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotpot.domain.merkle import (
    MerkleTree,
    from_hex,
    hash_pair,
    keccak256,
    leaf_hash,
    process_proof,
    to_hex,
    verify,
)

records = st.lists(st.binary(max_size=64), min_size=1, max_size=40)


def flip_bit(node: bytes, bit: int = 0) -> bytes:
    return bytes([node[0] ^ (1 << (bit % 8))]) + node[1:]


def test_keccak256_is_ethereum_keccak_not_sha3() -> None:
    # keccak256("") as every EVM computes it; NIST SHA3-256("") starts with a7ffc6f8.
    assert keccak256(b"").hex() == (
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    )


def test_leaf_is_double_hashed() -> None:
    assert leaf_hash(b"record") == keccak256(keccak256(b"record"))
    assert leaf_hash(b"record") != keccak256(b"record")


def test_hash_pair_is_commutative_and_sorted() -> None:
    a, b = leaf_hash(b"a"), leaf_hash(b"b")
    low, high = sorted([a, b])
    assert hash_pair(a, b) == hash_pair(b, a) == keccak256(low + high)


def test_single_leaf_is_its_own_root_with_empty_proof() -> None:
    tree = MerkleTree.from_records([b"only"])
    assert tree.root == leaf_hash(b"only")
    assert tree.proof(0) == []
    assert verify([], tree.root, leaf_hash(b"only"))


def test_three_leaves_follow_openzeppelin_layout() -> None:
    l0, l1, l2 = (leaf_hash(r) for r in (b"r0", b"r1", b"r2"))
    tree = MerkleTree.from_leaves([l0, l1, l2])
    # Array layout [root, h(l1,l0), l2, l1, l0]: the odd leaf is promoted, not duplicated.
    assert tree.root == hash_pair(hash_pair(l1, l0), l2)
    assert tree.proof(0) == [l1, l2]
    assert tree.proof(2) == [hash_pair(l1, l0)]


def test_empty_tree_and_bad_nodes_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one leaf"):
        MerkleTree.from_leaves([])
    with pytest.raises(ValueError, match="32 bytes"):
        MerkleTree.from_leaves([b"short"])
    tree = MerkleTree.from_records([b"a", b"b"])
    with pytest.raises(IndexError):
        tree.proof(2)
    with pytest.raises(IndexError):
        tree.proof(-1)


def test_verify_refuses_malformed_inputs_instead_of_raising() -> None:
    tree = MerkleTree.from_records([b"a", b"b"])
    assert not verify(tree.proof(0), tree.root[:31], tree.leaf(0))
    assert not verify(tree.proof(0), tree.root, tree.leaf(0)[:31])
    assert not verify([b"x" * 31], tree.root, tree.leaf(0))


def test_hex_round_trip() -> None:
    root = MerkleTree.from_records([b"a", b"b", b"c"]).root
    assert to_hex(root).startswith("0x")
    assert from_hex(to_hex(root)) == root
    with pytest.raises(ValueError):
        from_hex("0x1234")


@given(records)
def test_every_leaf_proof_verifies(recs: list[bytes]) -> None:
    tree = MerkleTree.from_records(recs)
    for i, record in enumerate(recs):
        assert tree.leaf(i) == leaf_hash(record)
        proof = tree.proof(i)
        assert verify(proof, tree.root, leaf_hash(record))
        # Depth stays logarithmic: a complete tree of n leaves has height ceil(log2 n).
        assert len(proof) <= max(0, (len(recs) - 1).bit_length())


@given(records, st.data())
def test_tampered_leaf_fails(recs: list[bytes], data: st.DataObject) -> None:
    tree = MerkleTree.from_records(recs)
    i = data.draw(st.integers(0, len(recs) - 1))
    other = data.draw(st.binary(max_size=64).filter(lambda r: r != recs[i]))
    assert not verify(tree.proof(i), tree.root, leaf_hash(other))


@given(st.lists(st.binary(max_size=64), min_size=2, max_size=40), st.data())
def test_tampered_proof_fails(recs: list[bytes], data: st.DataObject) -> None:
    tree = MerkleTree.from_records(recs)
    i = data.draw(st.integers(0, len(recs) - 1))
    proof = tree.proof(i)
    j = data.draw(st.integers(0, len(proof) - 1))
    bit = data.draw(st.integers(0, 7))
    tampered = [*proof[:j], flip_bit(proof[j], bit), *proof[j + 1 :]]
    assert not verify(tampered, tree.root, tree.leaf(i))
    assert not verify(proof[:-1], tree.root, tree.leaf(i))  # a truncated proof too


@given(records, st.data())
def test_tampered_root_fails(recs: list[bytes], data: st.DataObject) -> None:
    tree = MerkleTree.from_records(recs)
    i = data.draw(st.integers(0, len(recs) - 1))
    bit = data.draw(st.integers(0, 7))
    assert not verify(tree.proof(i), flip_bit(tree.root, bit), tree.leaf(i))


@given(st.lists(st.binary(max_size=16), min_size=2, max_size=20, unique=True))
def test_inner_node_is_not_accepted_as_a_leaf(recs: list[bytes]) -> None:
    # Double hashing: presenting an inner node's preimage as a record never verifies.
    tree = MerkleTree.from_records(recs)
    low, high = sorted([tree.leaf(0), tree.leaf(1)])
    assert not verify(tree.proof(0)[1:], tree.root, leaf_hash(low + high))


def test_root_depends_on_every_record() -> None:
    base = [b"a", b"b", b"c", b"d", b"e"]
    root = MerkleTree.from_records(base).root
    for i in range(len(base)):
        changed = [*base[:i], b"z", *base[i + 1 :]]
        assert MerkleTree.from_records(changed).root != root
    # Moving a record to another subtree changes the root ...
    assert MerkleTree.from_records([b"c", b"b", b"a", b"d", b"e"]).root != root
    # ... but sorted pairs make siblings interchangeable: a proof shows membership, not
    # position (as with OpenZeppelin's trees). Record ids live inside the leaves.
    assert MerkleTree.from_records([b"b", b"a", b"c", b"d", b"e"]).root == root


# --- on an EVM, with snekmate ----------------------------------------------------------

VERIFIER = """
from snekmate.utils import merkle_proof_verification as mpv

@external
@pure
def verify(proof: DynArray[bytes32, 255], root: bytes32, leaf: bytes32) -> bool:
    return mpv._verify(proof, root, leaf)

@external
@pure
def leaf_of(record: Bytes[1024]) -> bytes32:
    # The on-chain spelling of leaf_hash: keccak256(keccak256(record)).
    return keccak256(keccak256(record))
"""


@pytest.fixture(scope="module")
def evm_verifier() -> object:
    return boa.loads(VERIFIER)


@settings(max_examples=25, deadline=None)
@given(records, st.data())
def test_snekmate_on_the_evm_accepts_our_proofs(
    evm_verifier: object, recs: list[bytes], data: st.DataObject
) -> None:
    verifier: object = evm_verifier
    tree = MerkleTree.from_records(recs)
    i = data.draw(st.integers(0, len(recs) - 1))
    assert verifier.leaf_of(recs[i]) == leaf_hash(recs[i])  # type: ignore[attr-defined]
    assert verifier.verify(tree.proof(i), tree.root, tree.leaf(i))  # type: ignore[attr-defined]
    assert not verifier.verify(  # type: ignore[attr-defined]
        tree.proof(i), flip_bit(tree.root), tree.leaf(i)
    )


def test_process_proof_matches_the_evm(evm_verifier: object) -> None:
    tree = MerkleTree.from_records([b"x", b"y", b"z", b"w", b"v", b"u", b"t"])
    for i in range(7):
        assert process_proof(tree.proof(i), tree.leaf(i)) == tree.root
        assert evm_verifier.verify(tree.proof(i), tree.root, tree.leaf(i))  # type: ignore[attr-defined]
