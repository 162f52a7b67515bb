# pragma version ~=0.4.3
# pragma evm-version cancun
"""
@title THP: The Hot Pot Spot share token (security token)
@notice ERC-20 with 2 decimals (1 THP = 100 units). Only MINTER_ROLE mints and only
        BURNER_ROLE burns (both granted to the settlement registry). Transfers move only between addresses on the
        KYC allow-list, which COMPLIANCE_ROLE manages. DEFAULT_ADMIN_ROLE pauses every
        movement of tokens: transfers, mints.
@dev Built from snekmate modules: `erc20` keeps balances and supply, `access_control`
     the roles, `pausable` the switch. The module's own `transfer`, `mint` and so on
     are not exported: the wrappers below add the rules and call its internals.
"""

from ethereum.ercs import IERC20
implements: IERC20

from ethereum.ercs import IERC20Detailed
implements: IERC20Detailed

from snekmate.auth import access_control
from snekmate.auth import ownable
from snekmate.tokens import erc20
from snekmate.utils import pausable

initializes: access_control
# `erc20` declares `uses: ownable`; nothing here reads the owner (roles do that work).
initializes: ownable
initializes: erc20[ownable := ownable]
initializes: pausable

exports: (
    access_control.__interface__,
    erc20.balanceOf,
    erc20.totalSupply,
    erc20.allowance,
    erc20.name,
    erc20.symbol,
    erc20.decimals,
    pausable.paused,
)

MINTER_ROLE: public(constant(bytes32)) = keccak256("MINTER_ROLE")
# The controller's forced burn (a permissioned security token's controller operation):
# granted to the settlement registry, which settles claims and transfers of the ledger
# as burns and mints.
BURNER_ROLE: public(constant(bytes32)) = keccak256("BURNER_ROLE")
COMPLIANCE_ROLE: public(constant(bytes32)) = keccak256("COMPLIANCE_ROLE")
# The largest batch `mint_batch` takes; the registry passes its batches through.
MAX_BATCH: public(constant(uint256)) = 512

# KYC-verified addresses: the only ones that may send or receive a transfer.
is_allowed: public(HashMap[address, bool])


event AllowListChanged:
    account: indexed(address)
    allowed: bool
    sender: indexed(address)


@deploy
def __init__():
    access_control.__init__()
    ownable.__init__()
    erc20.__init__("The Hot Pot Spot Share", "THP", 2, "The Hot Pot Spot Share", "1")
    pausable.__init__()


@external
def transfer(to: address, amount: uint256) -> bool:
    self._check_transfer(msg.sender, to)
    erc20._transfer(msg.sender, to, amount)
    return True


@external
def transferFrom(owner: address, to: address, amount: uint256) -> bool:
    self._check_transfer(owner, to)
    erc20._spend_allowance(owner, msg.sender, amount)
    erc20._transfer(owner, to, amount)
    return True


@external
def approve(spender: address, amount: uint256) -> bool:
    # An allowance moves nothing by itself; `transferFrom` checks the allow-list.
    erc20._approve(msg.sender, spender, amount)
    return True


@external
def mint(owner: address, amount: uint256):
    access_control._check_role(MINTER_ROLE, msg.sender)
    pausable._require_not_paused()
    erc20._mint(owner, amount)


@external
def mint_batch(owners: DynArray[address, MAX_BATCH], amounts: DynArray[uint256, MAX_BATCH]):
    """
    @notice Mints `amounts[i]` units to `owners[i]` for every i, in one call.
    """
    access_control._check_role(MINTER_ROLE, msg.sender)
    pausable._require_not_paused()
    assert len(owners) == len(amounts), "thp: length mismatch"
    for i: uint256 in range(len(owners), bound=MAX_BATCH):
        erc20._mint(owners[i], amounts[i])


@external
def burn_batch(owners: DynArray[address, MAX_BATCH], amounts: DynArray[uint256, MAX_BATCH]):
    """
    @notice Burns `amounts[i]` units of `owners[i]`'s THP for every i (controller burn).
    """
    access_control._check_role(BURNER_ROLE, msg.sender)
    pausable._require_not_paused()
    assert len(owners) == len(amounts), "thp: length mismatch"
    for i: uint256 in range(len(owners), bound=MAX_BATCH):
        erc20._burn(owners[i], amounts[i])


@external
def set_allowed(account: address, allowed: bool):
    """
    @notice Puts `account` on the KYC allow-list or takes it off.
    """
    access_control._check_role(COMPLIANCE_ROLE, msg.sender)
    assert account != empty(address), "thp: zero address"
    self.is_allowed[account] = allowed
    log AllowListChanged(account=account, allowed=allowed, sender=msg.sender)


@external
def pause():
    access_control._check_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)
    pausable._pause()


@external
def unpause():
    access_control._check_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)
    pausable._unpause()


@internal
def _check_transfer(owner: address, to: address):
    pausable._require_not_paused()
    assert self.is_allowed[owner], "thp: sender not allow-listed"
    assert self.is_allowed[to], "thp: recipient not allow-listed"
