"""SQL of the wallets slice: the wallet and KYC columns of accounts, and customers under lock."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.accounts.tables import accounts
from hotpot.domain.access import AccessRole


async def wallet_of(conn: AsyncConnection, account_id: UUID) -> RowMapping | None:
    """The account's wallet address and KYC status."""
    stmt = select(accounts.c.wallet_address, accounts.c.kyc_status).where(
        accounts.c.id == account_id
    )
    return (await conn.execute(stmt)).mappings().first()


async def set_customer_kyc(conn: AsyncConnection, account_id: UUID, status: str) -> bool:
    """False when no customer has this id (staff accounts have no KYC status to set)."""
    row = await conn.execute(
        update(accounts)
        .where(accounts.c.id == account_id, accounts.c.role == AccessRole.CUSTOMER.value)
        .values(kyc_status=status)
        .returning(accounts.c.id)
    )
    return row.first() is not None


async def account_for_update(
    conn: AsyncConnection, column: str, value: object
) -> RowMapping | None:
    """The account whose `column` is `value` (id or wallet_address), locked until commit."""
    stmt = (
        select(accounts.c.id, accounts.c.wallet_address, accounts.c.kyc_status, accounts.c.role)
        .where(accounts.c[column] == value)
        .with_for_update()
    )
    return (await conn.execute(stmt)).mappings().first()
