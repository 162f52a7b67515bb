"""Pure settlement rules: which outbox rows make one batch, and what a batch changes on chain."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

TOKENS = ("THP", "SPOT")

# The contracts' hard bound on each list of one `settle` call (MAX_BATCH in the Vyper).
CONTRACT_LIST_BOUND = 512


@dataclass(frozen=True)
class OutboxRow:
    id: int
    token: str
    address: str
    delta: int
    ref_kind: str
    ref_id: str


@dataclass(frozen=True)
class Changes:
    """A batch's net on-chain changes per token: mints (to, units) and burns (from, units)."""

    thp_mints: list[tuple[str, int]]
    spot_mints: list[tuple[str, int]]
    thp_burns: list[tuple[str, int]]
    spot_burns: list[tuple[str, int]]


def take_batch(rows: Sequence[OutboxRow], max_recipients: int) -> list[OutboxRow]:
    """The longest prefix (in outbox order) touching at most `max_recipients` (token, address)
    pairs, cut only between two entries' references so a purchase is not split."""
    taken: list[OutboxRow] = []
    keys: set[tuple[str, str]] = set()
    for row in rows:
        key = (row.token, row.address.lower())
        if key not in keys and len(keys) >= max_recipients:
            if taken and (taken[-1].ref_kind, taken[-1].ref_id) != (row.ref_kind, row.ref_id):
                break
            if len(keys) >= CONTRACT_LIST_BOUND:
                break
        keys.add(key)
        taken.append(row)
    return taken


def net_changes(rows: Sequence[tuple[str, str, int]]) -> Changes:
    """Net (token, address) deltas of rows, as mints and burns; zero nets are dropped."""
    net: dict[tuple[str, str], int] = defaultdict(int)
    for token, address, delta in rows:
        net[(token, address.lower())] += int(delta)
    out: dict[str, list[tuple[str, int]]] = {
        "THP+": [],
        "SPOT+": [],
        "THP-": [],
        "SPOT-": [],
    }
    for (token, address), delta in sorted(net.items()):
        if delta > 0:
            out[f"{token}+"].append((address, delta))
        elif delta < 0:
            out[f"{token}-"].append((address, -delta))
    return Changes(out["THP+"], out["SPOT+"], out["THP-"], out["SPOT-"])


def record_kind(ref_kind: str) -> str:
    """Ledger ref kinds to record kinds: a walk-in sale is published as a receipt."""
    return "receipt" if ref_kind == "sale" else ref_kind


@dataclass(frozen=True)
class TallyOnChain:
    """`governance_anchor.tallies(proposal_id)`: a zero root means "not anchored"."""

    for_weight: int
    against_weight: int
    abstain_weight: int
    passed: bool
    votes_root: bytes
    block_number: int

    @property
    def anchored(self) -> bool:
        return self.votes_root != b"\x00" * 32


@dataclass(frozen=True)
class AnchorRow:
    """A finalized proposal's tally waiting for (or recorded with) its anchor on chain."""

    proposal_id: UUID
    chain_proposal_id: str  # bytes32, 0x-hex
    votes_root: str  # bytes32, 0x-hex
    for_units: int
    against_units: int
    abstain_units: int
    passed: bool
    vote_count: int
    anchored_at: datetime | None
    tx_hash: str | None

    def matches(self, on_chain: TallyOnChain) -> bool:
        """The tally on chain is the one the database finalized."""
        return (
            on_chain.for_weight,
            on_chain.against_weight,
            on_chain.abstain_weight,
            on_chain.passed,
            "0x" + on_chain.votes_root.hex(),
        ) == (
            self.for_units,
            self.against_units,
            self.abstain_units,
            self.passed,
            self.votes_root.lower(),
        )


@dataclass(frozen=True)
class Proof:
    ref_kind: str
    ref_id: str
    record_cid: str
    batch_id: str
    batch_cid: str
    merkle_root: str
    leaf: str
    proof: list[str]
    status: str
    tx_hash: str | None
    block_number: int | None
    # What an outside verifier needs besides (docs/verify.md): the network of the batch's
    # deployment, its registry, and the record document itself (None when the store
    # cannot give it intact).
    chain_id: int | None = None
    registry: str | None = None
    record: dict[str, Any] | None = None


@dataclass(frozen=True)
class Network:
    """The chain the platform settles on and its live contracts, as an outsider needs them."""

    chain_id: int
    rpc_url: str | None  # a public JSON-RPC endpoint, when the operator names one
    thp: str
    spot: str
    registry: str
    anchor: str
    deployed_block: int


@dataclass
class Verification:
    proof: Proof
    valid: bool
    checks: dict[str, bool] = field(default_factory=dict)
    detail: str = ""


@dataclass
class AnchorVerification:
    anchor: AnchorRow
    on_chain: TallyOnChain
    tx_hash: str | None
    valid: bool = False
    checks: dict[str, bool] = field(default_factory=dict)
    detail: str = ""


@dataclass(frozen=True)
class WalletSettlement:
    address: str | None
    tokens: dict[str, tuple[int, int]]  # token -> (settled units, pending units)
