"""What a wallet shows: its balances and stake role, its history, a transfer made."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hotpot.domain.stake import StakeRole


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
