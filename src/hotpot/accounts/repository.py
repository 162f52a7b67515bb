"""SQL for accounts, refresh tokens and sign-in nonces (SQLAlchemy Core, no business rules)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, insert, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.accounts.tables import accounts, refresh_tokens, siwe_nonces
from hotpot.domain.access import AccessRole


async def insert_account(conn: AsyncConnection, values: dict[str, Any]) -> bool:
    """Insert unless the email, phone or wallet is taken; True when inserted."""
    stmt = pg_insert(accounts).values(**values).on_conflict_do_nothing().returning(accounts.c.id)
    return (await conn.execute(stmt)).first() is not None


async def by_id(conn: AsyncConnection, account_id: UUID) -> RowMapping | None:
    row = await conn.execute(select(accounts).where(accounts.c.id == account_id))
    return row.mappings().first()


async def by_lookup(conn: AsyncConnection, column: str, value: bytes | str) -> RowMapping | None:
    row = await conn.execute(select(accounts).where(accounts.c[column] == value))
    return row.mappings().first()


async def role_of(conn: AsyncConnection, account_id: UUID) -> str | None:
    return await conn.scalar(select(accounts.c.role).where(accounts.c.id == account_id))


async def list_staff(conn: AsyncConnection, limit: int, offset: int) -> list[RowMapping]:
    rows = await conn.execute(
        select(accounts)
        .where(accounts.c.role != "customer")
        .order_by(accounts.c.created_at, accounts.c.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows.mappings())


async def store_refresh_token(
    conn: AsyncConnection,
    token_id: UUID,
    account_id: UUID,
    family_id: UUID,
    token_hash: bytes,
    expires: datetime,
) -> None:
    await conn.execute(
        insert(refresh_tokens).values(
            id=token_id,
            account_id=account_id,
            family_id=family_id,
            token_hash=token_hash,
            expires_at=expires,
        )
    )


async def consume_refresh_token(
    conn: AsyncConnection, token_hash: bytes
) -> tuple[UUID, UUID] | None:
    """Revoke a live refresh token in one statement; (account id, family id), or None."""
    row = await conn.execute(
        update(refresh_tokens)
        .where(
            refresh_tokens.c.token_hash == token_hash,
            refresh_tokens.c.revoked_at.is_(None),
            refresh_tokens.c.expires_at > func.now(),
        )
        .values(revoked_at=func.now())
        .returning(refresh_tokens.c.account_id, refresh_tokens.c.family_id)
    )
    found = row.first()
    return None if found is None else (found.account_id, found.family_id)


async def revoke_family_of(conn: AsyncConnection, token_hash: bytes) -> int:
    """Revoke every live token of the family this (known) token belongs to; how many."""
    family = (
        select(refresh_tokens.c.family_id)
        .where(refresh_tokens.c.token_hash == token_hash)
        .scalar_subquery()
    )
    result = await conn.execute(
        update(refresh_tokens)
        .where(refresh_tokens.c.family_id == family, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )
    return result.rowcount


async def store_nonce(conn: AsyncConnection, nonce: str, expires: datetime) -> None:
    await conn.execute(insert(siwe_nonces).values(nonce=nonce, expires_at=expires))


async def consume_nonce(conn: AsyncConnection, nonce: str) -> bool:
    """Single use: only the first caller marks an unexpired nonce used."""
    row = await conn.execute(
        update(siwe_nonces)
        .where(
            siwe_nonces.c.nonce == nonce,
            siwe_nonces.c.used_at.is_(None),
            siwe_nonces.c.expires_at > func.now(),
        )
        .values(used_at=func.now())
        .returning(siwe_nonces.c.nonce)
    )
    return row.first() is not None


# --- wallet and KYC columns (read and set by the wallets slice) ---------------------


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


async def kyc_queue(
    conn: AsyncConnection, statuses: Iterable[str], limit: int, offset: int, after: UUID | None
) -> list[RowMapping]:
    """Customers whose KYC status is one of `statuses`, longest waiting first (keyset
    paging: those after account `after` in (created_at, id) order, stable while the
    queue changes; a cursor whose customer has since been decided still places the page)."""
    stmt = select(accounts).where(
        accounts.c.role == AccessRole.CUSTOMER.value, accounts.c.kyc_status.in_(list(statuses))
    )
    if after is not None:
        mark = accounts.alias("mark")  # an alias, so the subqueries never correlate

        def of_mark(column: str) -> Any:
            return select(mark.c[column]).where(mark.c.id == after).scalar_subquery()

        stmt = stmt.where(
            tuple_(accounts.c.created_at, accounts.c.id)
            > tuple_(of_mark("created_at"), of_mark("id"))
        )
    ordered = stmt.order_by(accounts.c.created_at, accounts.c.id).limit(limit).offset(offset)
    return list((await conn.execute(ordered)).mappings())


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


async def wallet_addresses(conn: AsyncConnection, account_ids: Iterable[UUID]) -> dict[UUID, str]:
    """The wallet address of each account that has one (one query for all of them)."""
    rows = await conn.execute(
        select(accounts.c.id, accounts.c.wallet_address).where(
            accounts.c.id.in_(list(account_ids)), accounts.c.wallet_address.is_not(None)
        )
    )
    return {account_id: address for account_id, address in rows if address}


async def ids_with_role(conn: AsyncConnection, role: str) -> list[UUID]:
    rows = await conn.execute(select(accounts.c.id).where(accounts.c.role == role))
    return list(rows.scalars())
