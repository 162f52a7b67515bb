"""THP and SPOT: every rule and permission, one test each."""

from __future__ import annotations

import boa
import pytest

from .deployment import (
    BURNER_ROLE,
    COMPLIANCE_ROLE,
    DEFAULT_ADMIN_ROLE,
    MINTER_ROLE,
    System,
)

MISSING_ROLE = "access_control: account is missing role"


def new_address(alias: str) -> str:
    return str(boa.env.generate_address(alias))


def mint_thp(system: System, owner: str, amount: int) -> None:
    # The registry holds MINTER_ROLE; tests that mint directly act as it.
    system.thp.mint(owner, amount, sender=system.registry.address)


def allow(system: System, *accounts: str) -> None:
    for account in accounts:
        system.thp.set_allowed(account, True, sender=system.compliance)


@pytest.mark.parametrize("token", ["thp", "spot"])
def test_metadata_two_decimals(system: System, token: str) -> None:
    contract = getattr(system, token)
    assert contract.decimals() == 2
    assert contract.symbol() == token.upper()
    assert contract.totalSupply() == 0


@pytest.mark.parametrize("token", ["thp", "spot"])
def test_only_minter_role_mints(system: System, token: str) -> None:
    contract = getattr(system, token)
    alice = new_address("alice")
    for outsider in (system.admin, system.relay, system.compliance, alice):
        with boa.reverts(MISSING_ROLE):
            contract.mint(alice, 100, sender=outsider)
        with boa.reverts(MISSING_ROLE):
            contract.mint_batch([alice], [100], sender=outsider)
    assert contract.totalSupply() == 0

    contract.mint(alice, 250, sender=system.registry.address)
    assert contract.balanceOf(alice) == 250
    assert contract.totalSupply() == 250


@pytest.mark.parametrize("token", ["thp", "spot"])
def test_mint_batch_mints_each_amount(system: System, token: str) -> None:
    contract = getattr(system, token)
    owners = [new_address(f"holder{i}") for i in range(3)]
    contract.mint_batch(owners, [1, 20, 300], sender=system.registry.address)
    assert [contract.balanceOf(o) for o in owners] == [1, 20, 300]
    assert contract.totalSupply() == 321
    with boa.reverts():
        contract.mint_batch(owners, [1, 2], sender=system.registry.address)


@pytest.mark.parametrize("token", ["thp", "spot"])
def test_only_admin_grants_roles(system: System, token: str) -> None:
    contract = getattr(system, token)
    mallory = new_address("mallory")
    with boa.reverts(MISSING_ROLE):
        contract.grantRole(MINTER_ROLE, mallory, sender=mallory)
    with boa.reverts(MISSING_ROLE):
        contract.grantRole(MINTER_ROLE, mallory, sender=system.registry.address)
    assert not contract.hasRole(MINTER_ROLE, mallory)
    assert contract.hasRole(DEFAULT_ADMIN_ROLE, system.admin)

    contract.revokeRole(MINTER_ROLE, system.registry.address, sender=system.admin)
    with boa.reverts(MISSING_ROLE):
        contract.mint(mallory, 1, sender=system.registry.address)


def test_thp_transfer_needs_both_sides_allow_listed(system: System) -> None:
    alice, bob = new_address("alice"), new_address("bob")
    mint_thp(system, alice, 1_000)

    with boa.reverts("thp: sender not allow-listed"):
        system.thp.transfer(bob, 100, sender=alice)
    allow(system, alice)
    with boa.reverts("thp: recipient not allow-listed"):
        system.thp.transfer(bob, 100, sender=alice)
    allow(system, bob)
    assert system.thp.transfer(bob, 100, sender=alice)
    assert system.thp.balanceOf(alice) == 900
    assert system.thp.balanceOf(bob) == 100

    system.thp.set_allowed(bob, False, sender=system.compliance)
    with boa.reverts("thp: recipient not allow-listed"):
        system.thp.transfer(bob, 1, sender=alice)
    with boa.reverts("thp: sender not allow-listed"):
        system.thp.transfer(alice, 1, sender=bob)


def test_thp_minting_does_not_need_the_allow_list(system: System) -> None:
    # Customers earn THP before KYC; they only cannot move it until verified.
    carol = new_address("carol")
    assert not system.thp.is_allowed(carol)
    mint_thp(system, carol, 42)
    assert system.thp.balanceOf(carol) == 42


def test_thp_transfer_from_checks_allow_list_and_allowance(system: System) -> None:
    alice, bob, spender = new_address("alice"), new_address("bob"), new_address("spender")
    mint_thp(system, alice, 500)
    system.thp.approve(spender, 200, sender=alice)
    assert system.thp.allowance(alice, spender) == 200

    with boa.reverts("thp: sender not allow-listed"):
        system.thp.transferFrom(alice, bob, 100, sender=spender)
    allow(system, alice, bob)
    with boa.reverts("erc20: insufficient allowance"):
        system.thp.transferFrom(alice, bob, 201, sender=spender)
    assert system.thp.transferFrom(alice, bob, 150, sender=spender)
    assert system.thp.balanceOf(bob) == 150
    assert system.thp.allowance(alice, spender) == 50


def test_thp_transfer_cannot_exceed_balance(system: System) -> None:
    alice, bob = new_address("alice"), new_address("bob")
    allow(system, alice, bob)
    mint_thp(system, alice, 10)
    with boa.reverts("erc20: transfer amount exceeds balance"):
        system.thp.transfer(bob, 11, sender=alice)


def test_only_compliance_role_manages_allow_list(system: System) -> None:
    alice = new_address("alice")
    for outsider in (system.admin, system.relay, alice):
        with boa.reverts(MISSING_ROLE):
            system.thp.set_allowed(alice, True, sender=outsider)
    assert not system.thp.is_allowed(alice)
    assert system.thp.hasRole(COMPLIANCE_ROLE, system.compliance)
    system.thp.set_allowed(alice, True, sender=system.compliance)
    assert system.thp.is_allowed(alice)


def test_pause_stops_transfers_and_mints(system: System) -> None:
    alice, bob = new_address("alice"), new_address("bob")
    allow(system, alice, bob)
    mint_thp(system, alice, 100)

    for outsider in (system.compliance, system.relay, alice):
        with boa.reverts(MISSING_ROLE):
            system.thp.pause(sender=outsider)
    system.thp.pause(sender=system.admin)
    assert system.thp.paused()

    with boa.reverts("pausable: contract is paused"):
        system.thp.transfer(bob, 1, sender=alice)
    with boa.reverts("pausable: contract is paused"):
        mint_thp(system, alice, 1)
    with boa.reverts(MISSING_ROLE):
        system.thp.unpause(sender=alice)

    system.thp.unpause(sender=system.admin)
    assert system.thp.transfer(bob, 1, sender=alice)
    assert system.thp.balanceOf(bob) == 1


@pytest.mark.parametrize("amount", [0, 1, 100])
def test_spot_never_moves(system: System, amount: int) -> None:
    alice, bob = new_address("alice"), new_address("bob")
    system.spot.mint(alice, 100, sender=system.registry.address)
    for sender in (alice, system.admin, system.registry.address):
        with boa.reverts("spot: soulbound"):
            system.spot.transfer(bob, amount, sender=sender)
        with boa.reverts("spot: soulbound"):
            system.spot.approve(bob, amount, sender=sender)
        with boa.reverts("spot: soulbound"):
            system.spot.transferFrom(alice, bob, amount, sender=sender)
    assert system.spot.balanceOf(alice) == 100
    assert system.spot.balanceOf(bob) == 0
    assert system.spot.allowance(alice, bob) == 0


def test_spot_burn_only_by_burner_role(system: System) -> None:
    alice = new_address("alice")
    system.spot.mint(alice, 100, sender=system.registry.address)
    for outsider in (alice, system.admin, system.relay):
        with boa.reverts(MISSING_ROLE):
            system.spot.burn(alice, 10, sender=outsider)
    # The registry burns too: it settles the ledger's claims and transfers as burns.
    assert system.spot.hasRole(BURNER_ROLE, system.registry.address)
    assert system.spot.hasRole(BURNER_ROLE, system.burner)
    system.spot.burn(alice, 30, sender=system.burner)
    assert system.spot.balanceOf(alice) == 70
    assert system.spot.totalSupply() == 70
    with boa.reverts("erc20: burn amount exceeds balance"):
        system.spot.burn(alice, 71, sender=system.burner)
