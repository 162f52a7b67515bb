# pragma version ~=0.4.3
# pragma evm-version cancun
"""
@title Settlement registry of The Hot Pot Spot
@notice Records each settlement batch once (its Merkle root over the batch's receipts
        and the IPFS CID of the batch's records) and mints the batch's THP and SPOT in
        the same transaction. Only SETTLEMENT_ROLE (the relay's signer) settles.
        A batch id seen before mints nothing: `settle` returns False and logs
        `BatchReplayed`, so a relay that retries a batch whose first transaction did land
        loses nothing and doubles nothing. `is_settled` lets it check first.
@dev The registry must hold MINTER_ROLE and BURNER_ROLE on both token contracts.
"""

from snekmate.auth import access_control

initializes: access_control

exports: access_control.__interface__

MAX_BATCH: public(constant(uint256)) = 512
# A CIDv1 in base32 (sha2-256) is 59 characters; room for other bases and codecs.
MAX_CID: public(constant(uint256)) = 128
SETTLEMENT_ROLE: public(constant(bytes32)) = keccak256("SETTLEMENT_ROLE")


interface IBatchMintable:
    def mint_batch(owners: DynArray[address, MAX_BATCH], amounts: DynArray[uint256, MAX_BATCH]): nonpayable
    def burn_batch(owners: DynArray[address, MAX_BATCH], amounts: DynArray[uint256, MAX_BATCH]): nonpayable


struct Batch:
    merkle_root: bytes32
    cid: String[MAX_CID]
    block_number: uint256


THP: public(immutable(IBatchMintable))
SPOT: public(immutable(IBatchMintable))

batches: public(HashMap[bytes32, Batch])
batch_count: public(uint256)


event BatchSettled:
    batch_id: indexed(bytes32)
    merkle_root: bytes32
    cid: String[MAX_CID]
    thp_recipients: uint256
    thp_total: uint256
    spot_recipients: uint256
    spot_total: uint256
    thp_burned: uint256
    spot_burned: uint256


event BatchReplayed:
    batch_id: indexed(bytes32)
    # What the replaying call claimed, so a mismatch with the record can be spotted.
    merkle_root: bytes32
    sender: indexed(address)


@deploy
def __init__(thp: IBatchMintable, spot: IBatchMintable):
    access_control.__init__()
    THP = thp
    SPOT = spot


@external
@view
def is_settled(batch_id: bytes32) -> bool:
    return self.batches[batch_id].merkle_root != empty(bytes32)


@external
def settle(
    batch_id: bytes32,
    merkle_root: bytes32,
    cid: String[MAX_CID],
    thp_recipients: DynArray[address, MAX_BATCH],
    thp_amounts: DynArray[uint256, MAX_BATCH],
    spot_recipients: DynArray[address, MAX_BATCH],
    spot_amounts: DynArray[uint256, MAX_BATCH],
    thp_burn_from: DynArray[address, MAX_BATCH] = [],
    thp_burn_amounts: DynArray[uint256, MAX_BATCH] = [],
    spot_burn_from: DynArray[address, MAX_BATCH] = [],
    spot_burn_amounts: DynArray[uint256, MAX_BATCH] = [],
) -> bool:
    """
    @notice Records batch `batch_id`, mints its tokens, then burns its burns (the
            ledger's claims and transfers settle as a burn plus a mint). Returns False,
            with no other effect than a `BatchReplayed` log, when the batch id was
            settled before. Mints come first, so a batch that nets an address's changes
            never burns what the same batch credits.
    """
    access_control._check_role(SETTLEMENT_ROLE, msg.sender)
    if self.batches[batch_id].merkle_root != empty(bytes32):
        log BatchReplayed(batch_id=batch_id, merkle_root=merkle_root, sender=msg.sender)
        return False

    # A zero root is the "not settled" marker, so it cannot be a real root.
    assert merkle_root != empty(bytes32), "registry: empty merkle root"
    assert len(cid) > 0, "registry: empty cid"
    assert len(thp_recipients) == len(thp_amounts), "registry: thp length mismatch"
    assert len(spot_recipients) == len(spot_amounts), "registry: spot length mismatch"
    assert len(thp_burn_from) == len(thp_burn_amounts), "registry: thp burn length mismatch"
    assert len(spot_burn_from) == len(spot_burn_amounts), "registry: spot burn length mismatch"

    # Effects before interactions: the record exists before any token call is made.
    self.batches[batch_id] = Batch(merkle_root=merkle_root, cid=cid, block_number=block.number)
    self.batch_count += 1

    if len(thp_recipients) > 0:
        extcall THP.mint_batch(thp_recipients, thp_amounts)
    if len(spot_recipients) > 0:
        extcall SPOT.mint_batch(spot_recipients, spot_amounts)
    if len(thp_burn_from) > 0:
        extcall THP.burn_batch(thp_burn_from, thp_burn_amounts)
    if len(spot_burn_from) > 0:
        extcall SPOT.burn_batch(spot_burn_from, spot_burn_amounts)

    log BatchSettled(
        batch_id=batch_id,
        merkle_root=merkle_root,
        cid=cid,
        thp_recipients=len(thp_recipients),
        thp_total=self._sum(thp_amounts),
        spot_recipients=len(spot_recipients),
        spot_total=self._sum(spot_amounts),
        thp_burned=self._sum(thp_burn_amounts),
        spot_burned=self._sum(spot_burn_amounts),
    )
    return True


@internal
@pure
def _sum(amounts: DynArray[uint256, MAX_BATCH]) -> uint256:
    total: uint256 = 0
    for amount: uint256 in amounts:
        total += amount
    return total
