"""The votes root anchored on chain: canonical vote records, leaf order, proofs."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotpot.domain import merkle
from hotpot.domain.canonical import parse_canonical
from hotpot.domain.governance import (
    EMPTY_VOTES_ROOT,
    VoteChoice,
    chain_proposal_id,
    ordered_votes,
    proof_holds,
    prove_vote,
    vote_record,
    votes_root,
    votes_tree,
)

PROPOSAL = "3f0c6a52-27d1-4a56-9c1b-3c4f8f1e9a10"
addresses = st.binary(min_size=20, max_size=20).map(lambda raw: "0x" + raw.hex())
votes = st.lists(
    st.tuples(addresses, st.sampled_from(list(VoteChoice)), st.integers(1, 2**53 - 1)),
    min_size=1,
    max_size=40,
    unique_by=lambda vote: vote[0],
)


def test_a_vote_record_is_canonical_json_with_the_proposal_inside() -> None:
    record = vote_record(
        PROPOSAL, "0xABCDEF0000000000000000000000000000000001", VoteChoice.FOR, 150
    )
    assert record == (
        b'{"choice":"FOR","proposal_id":"3f0c6a52-27d1-4a56-9c1b-3c4f8f1e9a10",'
        b'"schema":"hotpot.governance.vote/1",'
        b'"voter":"0xabcdef0000000000000000000000000000000001","weight_units":150}'
    )
    assert parse_canonical(record)["voter"] == "0xabcdef0000000000000000000000000000000001"
    other = vote_record(str(uuid.uuid4()), "0x" + "ab" * 20, VoteChoice.FOR, 150)
    assert other != vote_record(PROPOSAL, "0x" + "ab" * 20, VoteChoice.FOR, 150)


@pytest.mark.parametrize("address", ["", "0x12", "ab" * 20, "0x" + "zz" * 20])
def test_a_vote_record_needs_an_address(address: str) -> None:
    with pytest.raises(ValueError):
        vote_record(PROPOSAL, address, VoteChoice.FOR, 1)


def test_no_votes_have_a_fixed_non_zero_root() -> None:
    assert votes_tree(PROPOSAL, []) is None
    assert votes_root(PROPOSAL, []) == EMPTY_VOTES_ROOT
    assert EMPTY_VOTES_ROOT.hex() == (
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    )


@given(votes, st.randoms())
def test_the_root_ignores_arrival_order_and_proves_every_vote(
    cast: list[tuple[str, VoteChoice, int]], rng: object
) -> None:
    shuffled = list(cast)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    root = votes_root(PROPOSAL, cast)
    assert votes_root(PROPOSAL, shuffled) == root
    tree = votes_tree(PROPOSAL, shuffled)
    assert tree is not None
    for index, vote in enumerate(ordered_votes(cast)):
        leaf = merkle.leaf_hash(vote_record(PROPOSAL, *vote))
        assert tree.leaf(index) == leaf
        assert merkle.verify(tree.proof(index), root, leaf)
    address, choice, weight = cast[0]
    changed = vote_record(PROPOSAL, address, choice, weight ^ 1)
    assert not any(
        merkle.verify(tree.proof(i), root, merkle.leaf_hash(changed)) for i in range(len(cast))
    )


def test_the_chain_proposal_id_is_the_uuid_left_padded() -> None:
    proposal = uuid.UUID(PROPOSAL)
    padded = chain_proposal_id(proposal.bytes)
    assert len(padded) == 32 and padded[:16] == bytes(16) and padded[16:] == proposal.bytes
    with pytest.raises(ValueError):
        chain_proposal_id(b"short")


@given(votes, st.data())
def test_a_vote_proof_verifies_against_the_root_of_every_vote(
    cast: list[tuple[str, VoteChoice, int]], data: st.DataObject
) -> None:
    proposal = uuid.UUID(PROPOSAL)
    root = votes_root(PROPOSAL, cast)
    mine = data.draw(st.sampled_from(cast))
    proof = prove_vote(proposal, "0x" + root.hex(), cast, mine)
    assert proof.record == vote_record(PROPOSAL, *mine).decode()
    leaf = bytes.fromhex(proof.leaf.removeprefix("0x"))
    assert leaf == merkle.leaf_hash(proof.record.encode())
    path = [bytes.fromhex(node.removeprefix("0x")) for node in proof.proof]
    assert merkle.verify(path, root, leaf)
    assert proof.votes_root == "0x" + root.hex() and proof.proposal_id == proposal


def test_no_proof_for_a_vote_that_was_not_cast() -> None:
    cast = [("0x" + "ab" * 20, VoteChoice.FOR, 150)]
    with pytest.raises(ValueError):
        prove_vote(uuid.UUID(PROPOSAL), "0x00", cast, ("0x" + "cd" * 20, VoteChoice.FOR, 150))
    with pytest.raises(ValueError):
        prove_vote(uuid.UUID(PROPOSAL), "0x00", [], cast[0])


@given(votes, st.data())
def test_proof_holds_for_a_counted_vote_and_not_for_a_changed_one(
    cast: list[tuple[str, VoteChoice, int]], data: st.DataObject
) -> None:
    proposal = uuid.UUID(PROPOSAL)
    root = "0x" + votes_root(PROPOSAL, cast).hex()
    address, choice, weight = data.draw(st.sampled_from(cast))
    proof = prove_vote(proposal, root, cast, (address, choice, weight))
    assert proof_holds(proof)
    # Another weight in the record, another root, another proposal: none of them holds.
    # (weight ^ 1 stays inside the canonical range where weight + 1 could leave it.)
    other_weight = vote_record(PROPOSAL, address, choice, weight ^ 1).decode()
    assert not proof_holds(replace(proof, record=other_weight))
    assert not proof_holds(replace(proof, votes_root="0x" + "00" * 32))
    assert not proof_holds(replace(proof, proposal_id=uuid.uuid4()))
    assert not proof_holds(replace(proof, votes_root="not hex"))
