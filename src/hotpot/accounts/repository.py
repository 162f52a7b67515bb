"""SQL for accounts, refresh tokens and sign-in nonces (SQLAlchemy Core, no business rules)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.accounts.tables import accounts, refresh_tokens, siwe_nonces
from hotpot.network.tables import nodes


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


async def owned_node_ids(conn: AsyncConnection, account_id: UUID) -> list[UUID]:
    rows = await conn.scalars(select(nodes.c.id).where(nodes.c.owner_account_id == account_id))
    return list(rows)


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
    conn: AsyncConnection, token_id: UUID, account_id: UUID, token_hash: bytes, expires: datetime
) -> None:
    await conn.execute(
        insert(refresh_tokens).values(
            id=token_id, account_id=account_id, token_hash=token_hash, expires_at=expires
        )
    )


async def consume_refresh_token(conn: AsyncConnection, token_hash: bytes) -> UUID | None:
    """Revoke a live refresh token in one statement; its account id, or None if not live."""
    row = await conn.execute(
        update(refresh_tokens)
        .where(
            refresh_tokens.c.token_hash == token_hash,
            refresh_tokens.c.revoked_at.is_(None),
            refresh_tokens.c.expires_at > func.now(),
        )
        .values(revoked_at=func.now())
        .returning(refresh_tokens.c.account_id)
    )
    account_id: UUID | None = row.scalar_one_or_none()
    return account_id


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


async def ids_with_role(conn: AsyncConnection, role: str) -> list[UUID]:
    rows = await conn.execute(select(accounts.c.id).where(accounts.c.role == role))
    return list(rows.scalars())
