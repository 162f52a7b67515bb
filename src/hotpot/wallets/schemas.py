"""Request and response bodies of the wallets slice."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from hotpot.validation import Out, Strict

Address = Field(pattern=r"^0x[0-9a-fA-F]{40}$")


class WalletOut(Out):
    holder: str
    address: str | None
    thp_units: int = Field(description="THP in units (1 THP = 100 units)")
    spot_units: int = Field(description="SPOT in units (1 SPOT = 100 units)")
    role: str = Field(
        description="role by stake: MainOwner, BigStack, MiddlePlayer, Starter, Unauthorized"
    )
    kyc_status: str | None


class EntryOut(Out):
    id: int
    token: Literal["THP", "SPOT"]
    kind: str
    units: int = Field(description="signed: positive into this wallet, negative out of it")
    ref_kind: str
    ref_id: str
    created_at: datetime


class TransferIn(Strict):
    to_address: str = Address
    units: int = Field(gt=0, le=10**15, description="THP units to send")


class TransferOut(Out):
    transfer_id: str
    from_address: str
    to_address: str
    units: int


class KycIn(Strict):
    status: Literal["NOT_STARTED", "PENDING", "VERIFIED", "REJECTED"]


class KycCustomerOut(Out):
    """A customer waiting for KYC, with what compliance checks them by."""

    id: UUID
    email: str | None
    phone: str | None
    name: str | None
    wallet_address: str | None
    kyc_status: Literal["NOT_STARTED", "PENDING"]
    created_at: datetime = Field(description="registered at: the queue is oldest first")
