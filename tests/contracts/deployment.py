"""Deploy the compiled contracts into titanoboa's in-process EVM (py-evm).

The contracts are compiled by `hotpot.chain.compiler` (the code the deployer uses), and
deployed from that bytecode and ABI, so these tests check the artefacts that ship.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boa
from eth_abi import encode
from eth_utils import keccak

from hotpot.chain.compiler import CompiledContract


@dataclass(frozen=True)
class System:
    """The four contracts wired as `hotpot chain deploy` wires them, plus the actors."""

    thp: Any
    spot: Any
    registry: Any
    anchor: Any
    admin: str
    relay: str
    compliance: str
    burner: str


def role(name: str) -> bytes:
    return keccak(text=name)


MINTER_ROLE = role("MINTER_ROLE")
COMPLIANCE_ROLE = role("COMPLIANCE_ROLE")
BURNER_ROLE = role("BURNER_ROLE")
SETTLEMENT_ROLE = role("SETTLEMENT_ROLE")
ANCHOR_ROLE = role("ANCHOR_ROLE")
DEFAULT_ADMIN_ROLE = b"\x00" * 32


def deploy(compiled: CompiledContract, ctor_types: list[str], *args: Any, sender: str) -> Any:
    """Deploy creation code + ABI-encoded constructor args; return a boa ABI contract."""
    initcode = compiled.bytecode + encode(ctor_types, list(args))
    address, _ = boa.env.deploy_code(bytecode=initcode, sender=sender)
    factory = boa.loads_abi(json.dumps(compiled.abi), name=compiled.name)
    return factory.at(address)


def deploy_system(compiled: dict[str, CompiledContract]) -> System:
    admin = boa.env.generate_address("admin")
    relay = boa.env.generate_address("relay")
    compliance = boa.env.generate_address("compliance")
    burner = boa.env.generate_address("burner")
    thp = deploy(compiled["thp"], [], sender=admin)
    spot = deploy(compiled["spot"], [], sender=admin)
    registry = deploy(
        compiled["settlement_registry"],
        ["address", "address"],
        thp.address,
        spot.address,
        sender=admin,
    )
    anchor = deploy(compiled["governance_anchor"], [], sender=admin)
    with boa.env.prank(admin):
        thp.grantRole(MINTER_ROLE, registry.address)
        spot.grantRole(MINTER_ROLE, registry.address)
        thp.grantRole(BURNER_ROLE, registry.address)
        spot.grantRole(BURNER_ROLE, registry.address)
        thp.grantRole(COMPLIANCE_ROLE, compliance)
        spot.grantRole(BURNER_ROLE, burner)
        registry.grantRole(SETTLEMENT_ROLE, relay)
        anchor.grantRole(ANCHOR_ROLE, relay)
    return System(thp, spot, registry, anchor, str(admin), str(relay), str(compliance), str(burner))
