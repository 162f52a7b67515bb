"""Response bodies of the settlement slice."""

from __future__ import annotations

from pydantic import BaseModel

from hotpot.domain.settlement import Network, Proof

# The proof is answered as the service builds it (a dataclass pydantic can serialise).
ProofOut = Proof
# The settlement network and its live contracts (public, docs/verify.md).
NetworkOut = Network


class VerificationOut(BaseModel):
    valid: bool
    checks: dict[str, bool]
    detail: str
    proof: Proof


class TokenSettlement(BaseModel):
    settled: int
    pending: int


class SettlementBalancesOut(BaseModel):
    address: str | None
    tokens: dict[str, TokenSettlement]
