"""Who can hold tokens in the ledger, and the chain address behind each holder.

Holders are text keys: `acct:<uuid>` for a person's account, and the network's own
holders: `owner` (the network owner's treasury), `charity` (the charity fund),
`custody` (receipt shares waiting to be claimed) and `pool` (the unclaimed pool). On
chain, `custody` and `pool` are both held at the custody address.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from sqlalchemy import Text, cast, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from hotpot.accounts.tables import accounts
from hotpot.config import Settings

OWNER = "owner"
CHARITY = "charity"
CUSTODY = "custody"
POOL = "pool"
_ACCOUNT_PREFIX = "acct:"


class HolderWithoutAddress(LookupError):
    """An account holder with no wallet address cannot be settled on chain."""


def account_holder(account_id: UUID) -> str:
    return f"{_ACCOUNT_PREFIX}{account_id}"


def account_holder_sql() -> ColumnElement[str]:
    """`account_holder` in SQL: the holder key of an accounts row, for joins with balances."""
    return literal(_ACCOUNT_PREFIX) + cast(accounts.c.id, Text)


def account_of(holder: str) -> UUID | None:
    return UUID(holder[len(_ACCOUNT_PREFIX) :]) if holder.startswith(_ACCOUNT_PREFIX) else None


async def addresses_of(
    conn: AsyncConnection, settings: Settings, holders: Iterable[str]
) -> dict[str, str]:
    """The chain address of every holder named (one query for all account holders)."""
    network = {
        OWNER: settings.owner_address,
        CHARITY: settings.charity_address,
        CUSTODY: settings.custody_address,
        POOL: settings.custody_address,
    }
    found: dict[str, str] = {}
    account_ids: dict[UUID, str] = {}
    for holder in set(holders):
        if holder in network:
            found[holder] = network[holder]
        else:
            account_id = account_of(holder)
            if account_id is None:
                raise ValueError(f"unknown holder {holder!r}")
            account_ids[account_id] = holder
    if account_ids:
        rows = await conn.execute(
            select(accounts.c.id, accounts.c.wallet_address).where(
                accounts.c.id.in_(list(account_ids))
            )
        )
        for account_id, address in rows:
            if address:
                found[account_ids[account_id]] = address
    missing = [holder for holder in account_ids.values() if holder not in found]
    if missing:
        raise HolderWithoutAddress(f"no wallet address for {', '.join(sorted(missing))}")
    return found
