# pragma version ~=0.4.3
# pragma evm-version cancun
"""
@title SPOT: The Hot Pot Spot voting token (utility token, soulbound)
@notice 2 decimals (1 SPOT = 100 units). It never moves between holders: `transfer`,
        `transferFrom` and `approve` always revert. Only MINTER_ROLE (granted to the
        settlement registry) mints; only BURNER_ROLE (the platform, where a rule says
        so) burns.
@dev Balances and supply live in snekmate's `erc20` module; its moving functions are
     not exported, so the only paths that change a balance are `_mint` and `_burn`.
"""

from ethereum.ercs import IERC20
implements: IERC20

from ethereum.ercs import IERC20Detailed
implements: IERC20Detailed

from snekmate.auth import access_control
from snekmate.auth import ownable
from snekmate.tokens import erc20

initializes: access_control
# `erc20` declares `uses: ownable`; nothing here reads the owner (roles do that work).
initializes: ownable
initializes: erc20[ownable := ownable]

exports: (
    access_control.__interface__,
    erc20.balanceOf,
    erc20.totalSupply,
    erc20.allowance,
    erc20.name,
    erc20.symbol,
    erc20.decimals,
)

MINTER_ROLE: public(constant(bytes32)) = keccak256("MINTER_ROLE")
BURNER_ROLE: public(constant(bytes32)) = keccak256("BURNER_ROLE")
MAX_BATCH: public(constant(uint256)) = 512


@deploy
def __init__():
    access_control.__init__()
    ownable.__init__()
    erc20.__init__("The Hot Pot Spot Vote", "SPOT", 2, "The Hot Pot Spot Vote", "1")


@external
def transfer(to: address, amount: uint256) -> bool:
    raise "spot: soulbound"


@external
def transferFrom(owner: address, to: address, amount: uint256) -> bool:
    raise "spot: soulbound"


@external
def approve(spender: address, amount: uint256) -> bool:
    raise "spot: soulbound"


@external
def mint(owner: address, amount: uint256):
    access_control._check_role(MINTER_ROLE, msg.sender)
    erc20._mint(owner, amount)


@external
def mint_batch(owners: DynArray[address, MAX_BATCH], amounts: DynArray[uint256, MAX_BATCH]):
    """
    @notice Mints `amounts[i]` units to `owners[i]` for every i, in one call.
    """
    access_control._check_role(MINTER_ROLE, msg.sender)
    assert len(owners) == len(amounts), "spot: length mismatch"
    for i: uint256 in range(len(owners), bound=MAX_BATCH):
        erc20._mint(owners[i], amounts[i])


@external
def burn(owner: address, amount: uint256):
    """
    @notice Burns `amount` units of `owner`'s SPOT (a platform rule, not the holder).
    """
    access_control._check_role(BURNER_ROLE, msg.sender)
    erc20._burn(owner, amount)


@external
def burn_batch(owners: DynArray[address, MAX_BATCH], amounts: DynArray[uint256, MAX_BATCH]):
    """
    @notice Burns `amounts[i]` units of `owners[i]`'s SPOT for every i, in one call.
    """
    access_control._check_role(BURNER_ROLE, msg.sender)
    assert len(owners) == len(amounts), "spot: length mismatch"
    for i: uint256 in range(len(owners), bound=MAX_BATCH):
        erc20._burn(owners[i], amounts[i])
