"""Calls into the deployed contracts: ABI encoding of what the relay, the reconciler and the
verifier need (settle, is_settled, batches, balanceOf, totalSupply, roles, and the
governance anchor: anchor, is_anchored, tallies)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode, encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from hotpot.chain.client import ChainClient, Receipt
from hotpot.domain.settlement import Changes, TallyOnChain


def selector(signature: str) -> bytes:
    return bytes(keccak(text=signature))[:4]


def call_data(signature: str, types: Sequence[str], args: Sequence[Any]) -> bytes:
    return selector(signature) + encode(list(types), list(args))


_BALANCE_OF = selector("balanceOf(address)")
_TOTAL_SUPPLY = selector("totalSupply()")


def role(name: str) -> bytes:
    return bytes(keccak(text=name))


DEFAULT_ADMIN_ROLE = b"\x00" * 32
MINTER_ROLE = role("MINTER_ROLE")
BURNER_ROLE = role("BURNER_ROLE")
SETTLEMENT_ROLE = role("SETTLEMENT_ROLE")
ANCHOR_ROLE = role("ANCHOR_ROLE")
COMPLIANCE_ROLE = role("COMPLIANCE_ROLE")

_SETTLE_TYPES = [
    "bytes32",
    "bytes32",
    "string",
    "address[]",
    "uint256[]",
    "address[]",
    "uint256[]",
    "address[]",
    "uint256[]",
    "address[]",
    "uint256[]",
]
_SETTLE = f"settle({','.join(_SETTLE_TYPES)})"


@dataclass(frozen=True)
class Addresses:
    thp: str
    spot: str
    registry: str
    anchor: str

    def token(self, name: str) -> str:
        return self.thp if name == "THP" else self.spot


@dataclass(frozen=True)
class BatchOnChain:
    merkle_root: bytes
    cid: str
    block_number: int

    @property
    def settled(self) -> bool:
        return self.merkle_root != b"\x00" * 32


_ANCHOR = "anchor(bytes32,uint256,uint256,uint256,bool,bytes32)"
_ANCHOR_TYPES = ["bytes32", "uint256", "uint256", "uint256", "bool", "bytes32"]
_TALLY_ANCHORED = "TallyAnchored(bytes32,uint256,uint256,uint256,bool,bytes32)"


def _split(pairs: list[tuple[str, int]]) -> tuple[list[str], list[int]]:
    return [to_checksum_address(a) for a, _ in pairs], [u for _, u in pairs]


def settle_data(batch_id: bytes, root: bytes, cid: str, changes: Changes) -> bytes:
    tm, ta = _split(changes.thp_mints)
    sm, sa = _split(changes.spot_mints)
    tb, tba = _split(changes.thp_burns)
    sb, sba = _split(changes.spot_burns)
    return call_data(
        _SETTLE, _SETTLE_TYPES, [batch_id, root, cid, tm, ta, sm, sa, tb, tba, sb, sba]
    )


class Contracts:
    """Read and write the four contracts of one deployment through a ChainClient."""

    def __init__(self, client: ChainClient, addresses: Addresses) -> None:
        self.client = client
        self.addresses = addresses

    async def _view(
        self,
        to: str,
        signature: str,
        types: list[str],
        args: list[Any],
        out: list[str],
        block: int | None = None,
    ) -> tuple[Any, ...]:
        raw = await self.client.eth_call(to, call_data(signature, types, args), block)
        return tuple(decode(out, raw))

    async def is_settled(self, batch_id: bytes) -> bool:
        (value,) = await self._view(
            self.addresses.registry, "is_settled(bytes32)", ["bytes32"], [batch_id], ["bool"]
        )
        return bool(value)

    async def batch(self, batch_id: bytes, block: int | None = None) -> BatchOnChain:
        # A struct getter returns a tuple: (bytes32, string, uint256).
        raw = await self.client.eth_call(
            self.addresses.registry,
            call_data("batches(bytes32)", ["bytes32"], [batch_id]),
            block,
        )
        ((root, cid, block),) = decode(["(bytes32,string,uint256)"], raw)
        return BatchOnChain(bytes(root), str(cid), int(block))

    async def balance_of(self, token: str, address: str) -> int:
        (value,) = await self._view(
            self.addresses.token(token),
            "balanceOf(address)",
            ["address"],
            [to_checksum_address(address)],
            ["uint256"],
        )
        return int(value)

    async def balances_of(
        self,
        pairs: Sequence[tuple[str, str]],
        block: int | None = None,
        *,
        supplies: Sequence[str] = (),
    ) -> list[int]:
        """`balanceOf` of each (token, address), then `totalSupply` of each of `supplies`,
        read in one JSON-RPC batch request (on the latest state, or on the state at `block`).

        The call data is built by hand (selector, then the address left-padded to a
        word): ABI-encoding and checksumming each of 100,000 addresses cost more than
        the node's work.
        """
        calls = []
        for token, address in pairs:
            raw = bytes.fromhex(address.lower().removeprefix("0x"))
            if len(raw) != 20:
                raise ValueError(f"not an address: {address!r}")
            calls.append((self.addresses.token(token), _BALANCE_OF + bytes(12) + raw))
        calls += [(self.addresses.token(token), _TOTAL_SUPPLY) for token in supplies]
        read = await self.client.eth_calls(calls, block)
        return [int.from_bytes(raw[:32], "big") for raw in read]

    async def total_supply(self, token: str, block: int | None = None) -> int:
        (value,) = await self._view(
            self.addresses.token(token), "totalSupply()", [], [], ["uint256"], block
        )
        return int(value)

    async def has_role(self, contract: str, role_id: bytes, account: str) -> bool:
        (value,) = await self._view(
            contract,
            "hasRole(bytes32,address)",
            ["bytes32", "address"],
            [role_id, to_checksum_address(account)],
            ["bool"],
        )
        return bool(value)

    async def settle(
        self, batch_id: bytes, root: bytes, cid: str, changes: Changes, *, gas: int | None = None
    ) -> Receipt:
        return await self.client.transact(
            self.addresses.registry, settle_data(batch_id, root, cid, changes), gas=gas
        )

    async def send_settle(self, batch_id: bytes, root: bytes, cid: str, changes: Changes) -> str:
        """`settle` sent without waiting for its receipt: the hash (`client.wait_for` it)."""
        return await self.client.send(
            self.addresses.registry, settle_data(batch_id, root, cid, changes)
        )

    async def mint_direct(self, token: str, to: str, units: int) -> Receipt:
        """One plain `mint` (needs MINTER_ROLE on the token): the benchmark's baseline."""
        data = call_data(
            "mint(address,uint256)", ["address", "uint256"], [to_checksum_address(to), units]
        )
        return await self.client.transact(self.addresses.token(token), data, gas=120_000)

    async def settlement_tx(self, batch_id: bytes, block_number: int) -> str | None:
        """The hash of the transaction that logged `BatchSettled(batch_id)` in that block."""
        topic = keccak(
            text="BatchSettled(bytes32,bytes32,string,uint256,uint256,uint256,uint256,uint256,uint256)"
        )
        logs = await self.client.get_logs(
            {
                "address": to_checksum_address(self.addresses.registry),
                "fromBlock": block_number,
                "toBlock": block_number,
                "topics": ["0x" + bytes(topic).hex(), "0x" + batch_id.hex()],
            }
        )
        if not logs:
            return None
        return "0x" + bytes(logs[0]["transactionHash"]).hex()

    # --- the governance anchor -------------------------------------------------------

    async def is_anchored(self, proposal_id: bytes) -> bool:
        (value,) = await self._view(
            self.addresses.anchor, "is_anchored(bytes32)", ["bytes32"], [proposal_id], ["bool"]
        )
        return bool(value)

    async def tally(self, proposal_id: bytes) -> TallyOnChain:
        raw = await self.client.eth_call(
            self.addresses.anchor, call_data("tallies(bytes32)", ["bytes32"], [proposal_id])
        )
        ((for_w, against_w, abstain_w, passed, root, block),) = decode(
            ["(uint256,uint256,uint256,bool,bytes32,uint256)"], raw
        )
        return TallyOnChain(
            int(for_w), int(against_w), int(abstain_w), bool(passed), bytes(root), int(block)
        )

    async def anchor(
        self,
        proposal_id: bytes,
        for_weight: int,
        against_weight: int,
        abstain_weight: int,
        passed: bool,
        votes_root: bytes,
    ) -> Receipt:
        """Record a final tally (once per proposal: a replay is a no-op on chain)."""
        data = call_data(
            _ANCHOR,
            _ANCHOR_TYPES,
            [proposal_id, for_weight, against_weight, abstain_weight, passed, votes_root],
        )
        return await self.client.transact(self.addresses.anchor, data)

    async def anchor_tx(self, proposal_id: bytes, block_number: int) -> str | None:
        """The hash of the transaction that logged `TallyAnchored(proposal_id)` in that block."""
        logs = await self.client.get_logs(
            {
                "address": to_checksum_address(self.addresses.anchor),
                "fromBlock": block_number,
                "toBlock": block_number,
                "topics": [
                    "0x" + bytes(keccak(text=_TALLY_ANCHORED)).hex(),
                    "0x" + proposal_id.hex(),
                ],
            }
        )
        if not logs:
            return None
        return "0x" + bytes(logs[0]["transactionHash"]).hex()
