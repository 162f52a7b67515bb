"""Merkle trees whose proofs verify on an EVM with OpenZeppelin or snekmate.

Conventions (the ones OpenZeppelin's `MerkleProof.verify` and snekmate's
`merkle_proof_verification._verify` check):

* hash: keccak256;
* an inner node is `keccak256(min(a, b) ‖ max(a, b))` — pairs are sorted, so a proof
  is a plain list of sibling hashes with no left/right flags;
* a leaf is **double hashed**: `leaf_hash(record) = keccak256(keccak256(record))`.
  A leaf preimage is then always 32 bytes while an inner node's is 64, so no inner
  node can be passed off as a leaf (the second-preimage attack on Merkle trees).
  On chain: `MerkleProof.verify(proof, root, keccak256(bytes.concat(keccak256(record))))`.

The tree layout is OpenZeppelin `@openzeppelin/merkle-tree`'s `makeMerkleTree` (a
complete binary tree in an array, leaves at the end in reverse order, no sorting of
leaves): any leaf count works, an odd node is never duplicated, a single leaf is its
own root with an empty proof, and roots equal that library's `SimpleMerkleTree.of(
leaves, {sortLeaves: false})`. With sorted pairs a proof shows membership, not
position: siblings are interchangeable, so what a leaf means (its record id) must be
inside the leaf's bytes — as it is in a settlement record.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eth_hash.auto import keccak

HASH_SIZE = 32


def keccak256(data: bytes) -> bytes:
    return bytes(keccak(data))


def leaf_hash(data: bytes) -> bytes:
    """The leaf for a record's bytes: keccak256(keccak256(data)) (see module doc)."""
    return keccak256(keccak256(data))


def hash_pair(a: bytes, b: bytes) -> bytes:
    """OpenZeppelin's commutative `_hashPair`: hash of the two nodes in byte order."""
    return keccak256(a + b) if a < b else keccak256(b + a)


def _check_node(node: bytes) -> None:
    if len(node) != HASH_SIZE:
        raise ValueError(f"a Merkle node is {HASH_SIZE} bytes, got {len(node)}")


def process_proof(proof: Sequence[bytes], leaf: bytes) -> bytes:
    """The root reached from `leaf` by folding in `proof` (OpenZeppelin processProof)."""
    _check_node(leaf)
    node = leaf
    for sibling in proof:
        _check_node(sibling)
        node = hash_pair(node, sibling)
    return node


def verify(proof: Sequence[bytes], root: bytes, leaf: bytes) -> bool:
    """True when `proof` proves `leaf` is in the tree with `root`."""
    if len(root) != HASH_SIZE or len(leaf) != HASH_SIZE:
        return False
    if any(len(sibling) != HASH_SIZE for sibling in proof):
        return False
    return process_proof(proof, leaf) == root


def _sibling(index: int) -> int:
    return index + 1 if index % 2 == 1 else index - 1


def _parent(index: int) -> int:
    return (index - 1) // 2


@dataclass(frozen=True, slots=True)
class MerkleTree:
    """A tree over 32-byte leaf hashes, kept in OpenZeppelin's array layout."""

    nodes: tuple[bytes, ...]
    leaf_count: int

    @classmethod
    def from_leaves(cls, leaves: Sequence[bytes]) -> MerkleTree:
        """Build from leaf hashes (use `leaf_hash(record_bytes)` for records)."""
        if not leaves:
            raise ValueError("a Merkle tree needs at least one leaf")
        for leaf in leaves:
            _check_node(leaf)
        size = 2 * len(leaves) - 1
        nodes: list[bytes] = [b""] * size
        for i, leaf in enumerate(leaves):
            nodes[size - 1 - i] = bytes(leaf)
        for i in range(size - 1 - len(leaves), -1, -1):
            nodes[i] = hash_pair(nodes[2 * i + 1], nodes[2 * i + 2])
        return cls(nodes=tuple(nodes), leaf_count=len(leaves))

    @classmethod
    def from_records(cls, records: Sequence[bytes]) -> MerkleTree:
        return cls.from_leaves([leaf_hash(record) for record in records])

    @property
    def root(self) -> bytes:
        return self.nodes[0]

    def leaf(self, index: int) -> bytes:
        return self.nodes[self._tree_index(index)]

    def proof(self, index: int) -> list[bytes]:
        """Sibling hashes from leaf `index` (input order) up to the root."""
        node = self._tree_index(index)
        path: list[bytes] = []
        while node > 0:
            path.append(self.nodes[_sibling(node)])
            node = _parent(node)
        return path

    def _tree_index(self, index: int) -> int:
        if not 0 <= index < self.leaf_count:
            raise IndexError(f"leaf index {index} out of range 0..{self.leaf_count - 1}")
        return len(self.nodes) - 1 - index


def to_hex(node: bytes) -> str:
    return "0x" + node.hex()


def from_hex(text: str) -> bytes:
    node = bytes.fromhex(text.removeprefix("0x"))
    _check_node(node)
    return node
