"""SQL of the sales slice: sales, receipts under row locks, the expiry sweep, distributions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import insert, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.domain.receipts import LIVE_STATUSES, Receipt, ReceiptStatus
from hotpot.domain.sales import SaleLine
from hotpot.sales.tables import pool_distributions, receipts, sale_lines, sales


async def insert_sale(conn: AsyncConnection, values: dict[str, Any]) -> RowMapping | None:
    """The new sale's row; None when the terminal already used this sale id.

    On a concurrent duplicate, PostgreSQL makes this INSERT wait for the other
    transaction: it then conflicts (the other committed) or goes in (it rolled back).
    """
    inserted = await conn.execute(
        pg_insert(sales).values(**values).on_conflict_do_nothing().returning(*sales.c)
    )
    return inserted.mappings().first()


async def sale_by_terminal_id(
    conn: AsyncConnection, terminal_id: UUID, terminal_sale_id: str
) -> RowMapping | None:
    stmt = select(sales).where(
        sales.c.terminal_id == terminal_id, sales.c.terminal_sale_id == terminal_sale_id
    )
    return (await conn.execute(stmt)).mappings().first()


async def sale(conn: AsyncConnection, sale_id: UUID) -> RowMapping | None:
    return (await conn.execute(select(sales).where(sales.c.id == sale_id))).mappings().first()


async def insert_lines(conn: AsyncConnection, lines: list[dict[str, Any]]) -> None:
    await conn.execute(insert(sale_lines), lines)


async def lines_of(conn: AsyncConnection, sale_id: UUID) -> list[SaleLine]:
    stmt = select(sale_lines).where(sale_lines.c.sale_id == sale_id).order_by(sale_lines.c.line_no)
    return [
        SaleLine(line["item_id"], line["quantity"], line["unit_price_tetri"])
        for line in (await conn.execute(stmt)).mappings()
    ]


async def node_sales(
    conn: AsyncConnection,
    node_id: UUID,
    limit: int,
    offset: int = 0,
    before: tuple[datetime, UUID] | None = None,
) -> list[RowMapping]:
    """The node's sales with their receipt's id and status, newest first: `limit` of them
    older than `before` (created_at, id), read along ix_sales_node_created (keyset)."""
    stmt = (
        select(
            sales.c.id,
            sales.c.terminal_id,
            sales.c.terminal_sale_id,
            sales.c.amount_tetri,
            sales.c.created_at,
            receipts.c.id.label("receipt_id"),
            receipts.c.status.label("receipt_status"),
        )
        .select_from(sales.join(receipts, receipts.c.sale_id == sales.c.id))
        .where(sales.c.node_id == node_id)
        .order_by(sales.c.created_at.desc(), sales.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if before is not None:
        stmt = stmt.where(tuple_(sales.c.created_at, sales.c.id) < tuple_(*before))
    return list((await conn.execute(stmt)).mappings())


async def insert_receipt(conn: AsyncConnection, values: dict[str, Any]) -> RowMapping:
    row = await conn.execute(insert(receipts).values(**values).returning(*receipts.c))
    return row.mappings().one()


def receipt_state(row: RowMapping) -> Receipt:
    """The state the receipt rules (`domain.receipts`) need, from a receipts row."""
    return Receipt(
        status=ReceiptStatus(row["status"]),
        issued_at=row["created_at"],
        expires_at=row["expires_at"],
        failed_attempts=row["failed_attempts"],
        claimed_at=row["claimed_at"],
    )


async def receipt(conn: AsyncConnection, receipt_id: UUID) -> RowMapping | None:
    stmt = select(receipts).where(receipts.c.id == receipt_id)
    return (await conn.execute(stmt)).mappings().first()


async def receipt_for_update(conn: AsyncConnection, receipt_id: UUID) -> RowMapping | None:
    stmt = select(receipts).where(receipts.c.id == receipt_id).with_for_update()
    return (await conn.execute(stmt)).mappings().first()


async def receipt_of_sale_for_update(conn: AsyncConnection, sale_id: UUID) -> RowMapping:
    stmt = select(receipts).where(receipts.c.sale_id == sale_id).with_for_update()
    return (await conn.execute(stmt)).mappings().one()


async def update_receipt(
    conn: AsyncConnection, receipt_id: UUID, from_statuses: Sequence[str], values: dict[str, Any]
) -> RowMapping | None:
    """A guarded change: None when the receipt is no longer in one of `from_statuses`."""
    row = await conn.execute(
        update(receipts)
        .where(receipts.c.id == receipt_id, receipts.c.status.in_(list(from_statuses)))
        .values(**values)
        .returning(*receipts.c)
    )
    return row.mappings().first()


async def due_receipts_for_update(
    conn: AsyncConnection, now: datetime, limit: int
) -> list[RowMapping]:
    """Live receipts past their deadline; rows another sweep (or a claim) holds are skipped."""
    stmt = (
        select(receipts)
        .where(
            receipts.c.status.in_([status.value for status in LIVE_STATUSES]),
            receipts.c.expires_at <= now,
        )
        .order_by(receipts.c.expires_at, receipts.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await conn.execute(stmt)).mappings())


async def lock_customer(conn: AsyncConnection, holder: str) -> None:
    """Serialise one customer's claims (the 49 % cap and the SPOT day cap read then write)."""
    await conn.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"claim:{holder}"},
    )


async def claim_period(conn: AsyncConnection, values: dict[str, Any]) -> bool:
    """Take the period's one distribution slot; False when it is taken (waits for a racer)."""
    inserted = await conn.execute(
        pg_insert(pool_distributions)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["period", "label"])
        .returning(pool_distributions.c.id)
    )
    return inserted.first() is not None


async def distribution_of_period(
    conn: AsyncConnection, period: str, label: str
) -> RowMapping | None:
    stmt = select(pool_distributions).where(
        pool_distributions.c.period == period, pool_distributions.c.label == label
    )
    return (await conn.execute(stmt)).mappings().first()


async def list_distributions(conn: AsyncConnection, limit: int, offset: int) -> list[RowMapping]:
    stmt = (
        select(pool_distributions)
        .order_by(pool_distributions.c.created_at.desc(), pool_distributions.c.id)
        .limit(limit)
        .offset(offset)
    )
    return list((await conn.execute(stmt)).mappings())


async def expired_receipts(
    conn: AsyncConnection,
    limit: int,
    offset: int = 0,
    before: tuple[datetime, UUID] | None = None,
) -> list[RowMapping]:
    """EXPIRED receipts with their sale's amount, latest expiry first: `limit` of them
    before the keyset position `before` (closed_at, id), read along ix_receipts_expired."""
    stmt = (
        select(receipts, sales.c.amount_tetri)
        .join(sales, sales.c.id == receipts.c.sale_id)
        .where(receipts.c.status == ReceiptStatus.EXPIRED.value)
        .order_by(receipts.c.closed_at.desc(), receipts.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if before is not None:
        stmt = stmt.where(tuple_(receipts.c.closed_at, receipts.c.id) < tuple_(*before))
    return list((await conn.execute(stmt)).mappings())
