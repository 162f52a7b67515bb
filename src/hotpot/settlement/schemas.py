"""Response bodies of the settlement slice."""

from __future__ import annotations

from pydantic import BaseModel


class ProofOut(BaseModel):
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


class VerificationOut(BaseModel):
    valid: bool
    checks: dict[str, bool]
    detail: str
    proof: ProofOut


class TokenSettlement(BaseModel):
    settled: int
    pending: int


class SettlementBalancesOut(BaseModel):
    address: str | None
    tokens: dict[str, TokenSettlement]
