"""Who can hold tokens in the ledger: the holder keys and the network's own addresses.

Holders are text keys: `acct:<uuid>` for a person's account, and the network's own
holders: `owner` (the network owner's treasury), `charity` (the charity fund),
`custody` (receipt shares waiting to be claimed) and `pool` (the unclaimed pool). On
chain, `custody` and `pool` are both held at the custody address.
"""

from __future__ import annotations

from uuid import UUID

from hotpot.config import Settings

OWNER = "owner"
CHARITY = "charity"
CUSTODY = "custody"
POOL = "pool"
ACCOUNT_PREFIX = "acct:"


class HolderWithoutAddress(LookupError):
    """An account holder with no wallet address cannot be settled on chain."""


def account_holder(account_id: UUID) -> str:
    return f"{ACCOUNT_PREFIX}{account_id}"


def account_of(holder: str) -> UUID | None:
    return UUID(holder[len(ACCOUNT_PREFIX) :]) if holder.startswith(ACCOUNT_PREFIX) else None


def network_addresses(settings: Settings) -> dict[str, str]:
    """The chain address of each of the network's own holders (custody and pool share one)."""
    return {
        OWNER: settings.owner_address,
        CHARITY: settings.charity_address,
        CUSTODY: settings.custody_address,
        POOL: settings.custody_address,
    }
