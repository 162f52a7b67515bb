# pragma version ~=0.4.3
# pragma evm-version cancun
"""
@title Governance anchor of The Hot Pot Spot
@notice Records the final tally of a proposal (FOR, AGAINST and ABSTAIN weights in SPOT
        units, and whether it passed) with the Merkle root over its votes, once per
        proposal. Only ANCHOR_ROLE records. A second `anchor` for the same proposal
        changes nothing: it returns False and logs `AnchorReplayed`.
"""

from snekmate.auth import access_control

initializes: access_control

exports: access_control.__interface__

ANCHOR_ROLE: public(constant(bytes32)) = keccak256("ANCHOR_ROLE")


struct Tally:
    for_weight: uint256
    against_weight: uint256
    abstain_weight: uint256
    passed: bool
    votes_root: bytes32
    block_number: uint256


tallies: public(HashMap[bytes32, Tally])
anchor_count: public(uint256)


event TallyAnchored:
    proposal_id: indexed(bytes32)
    for_weight: uint256
    against_weight: uint256
    abstain_weight: uint256
    passed: bool
    votes_root: bytes32


event AnchorReplayed:
    proposal_id: indexed(bytes32)
    votes_root: bytes32
    sender: indexed(address)


@deploy
def __init__():
    access_control.__init__()


@external
@view
def is_anchored(proposal_id: bytes32) -> bool:
    return self.tallies[proposal_id].votes_root != empty(bytes32)


@external
def anchor(
    proposal_id: bytes32,
    for_weight: uint256,
    against_weight: uint256,
    abstain_weight: uint256,
    passed: bool,
    votes_root: bytes32,
) -> bool:
    access_control._check_role(ANCHOR_ROLE, msg.sender)
    if self.tallies[proposal_id].votes_root != empty(bytes32):
        log AnchorReplayed(proposal_id=proposal_id, votes_root=votes_root, sender=msg.sender)
        return False
    # A zero root is the "not anchored" marker; a proposal without votes still gets the
    # root of its (empty) vote list from the platform, which is not zero.
    assert votes_root != empty(bytes32), "anchor: empty votes root"
    self.tallies[proposal_id] = Tally(
        for_weight=for_weight,
        against_weight=against_weight,
        abstain_weight=abstain_weight,
        passed=passed,
        votes_root=votes_root,
        block_number=block.number,
    )
    self.anchor_count += 1
    log TallyAnchored(
        proposal_id=proposal_id,
        for_weight=for_weight,
        against_weight=against_weight,
        abstain_weight=abstain_weight,
        passed=passed,
        votes_root=votes_root,
    )
    return True
