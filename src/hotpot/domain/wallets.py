"""What a wallet shows: its balances and stake role, its history, a transfer made."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hotpot.domain.amounts import hundredths
from hotpot.domain.errors import Invalid
from hotpot.domain.stake import StakeRole

KYC_STATUSES = ("NOT_STARTED", "PENDING", "VERIFIED", "REJECTED")
# Customers compliance still has to decide on: asked to be checked, or not checked yet.
KYC_WAITING = ("PENDING", "NOT_STARTED")

# At most 13 whole digits: under 10**13 tokens, within what a transfer accepts (10**15 units).
MAX_WHOLE_TOKENS_DIGITS = 13


def units_from_text(text: str) -> int:
    """A token amount as a person types it ("12", "12.5", "0,05") in integer units, by
    string arithmetic only: "12.5" -> 1250. More than two decimals is refused, not rounded."""
    units = hundredths(text, MAX_WHOLE_TOKENS_DIGITS)  # both tokens have 2 decimals
    if units is None:
        raise Invalid(
            "invalid_amount", "an amount is a number with at most two decimals, e.g. 12.50"
        )
    return units


@dataclass(frozen=True)
class Wallet:
    holder: str
    address: str | None
    thp_units: int
    spot_units: int
    role: StakeRole
    kyc_status: str | None


@dataclass(frozen=True)
class WalletEntry:
    """One ledger entry as the wallet sees it: `units` is signed, negative when it left."""

    id: int
    token: str
    kind: str
    units: int
    ref_kind: str
    ref_id: str
    created_at: datetime


@dataclass(frozen=True)
class Transfer:
    transfer_id: str
    from_address: str
    to_address: str
    units: int
