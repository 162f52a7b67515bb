"""SQL for orders: creation, the guarded status change, and reads (stock is the menu's)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

# Stock is the menu's (its availability table); sales still reaches these two through
# this module, so they stay importable from here until sales calls the menu's repository.
from hotpot.orders.tables import order_events, order_lines, orders


async def insert_order(
    conn: AsyncConnection, order: dict[str, Any], lines: list[dict[str, Any]], actor: str
) -> None:
    await conn.execute(insert(orders).values(**order))
    await conn.execute(insert(order_lines), lines)
    await conn.execute(
        insert(order_events).values(
            order_id=order["id"], from_status=None, to_status=order["status"], actor=actor
        )
    )


async def order_for_update(conn: AsyncConnection, order_id: UUID) -> RowMapping | None:
    stmt = select(orders).where(orders.c.id == order_id).with_for_update()
    return (await conn.execute(stmt)).mappings().first()


async def lines_of(
    conn: AsyncConnection, order_ids: Sequence[UUID]
) -> dict[UUID, list[RowMapping]]:
    grouped: dict[UUID, list[RowMapping]] = {order_id: [] for order_id in order_ids}
    if not order_ids:
        return grouped
    stmt = (
        select(order_lines)
        .where(order_lines.c.order_id.in_(order_ids))
        .order_by(order_lines.c.order_id, order_lines.c.line_no)
    )
    for row in (await conn.execute(stmt)).mappings():
        grouped[row["order_id"]].append(row)
    return grouped


async def set_status(
    conn: AsyncConnection,
    order_id: UUID,
    current: str,
    target: str,
    actor: str,
    reason: str | None,
) -> RowMapping | None:
    values: dict[str, Any] = {"status": target, "updated_at": func.now()}
    if target == "CANCELLED":
        values["cancel_reason"] = reason
    row = await conn.execute(
        update(orders)
        .where(orders.c.id == order_id, orders.c.status == current)
        .values(**values)
        .returning(*orders.c)
    )
    updated = row.mappings().first()
    if updated is not None:
        await conn.execute(
            insert(order_events).values(
                order_id=order_id, from_status=current, to_status=target, actor=actor, reason=reason
            )
        )
    return updated


async def order(conn: AsyncConnection, order_id: UUID) -> RowMapping | None:
    return (await conn.execute(select(orders).where(orders.c.id == order_id))).mappings().first()


async def list_orders(
    conn: AsyncConnection,
    *,
    customer_id: UUID | None,
    node_ids: Sequence[UUID] | None,
    status: str | None,
    limit: int,
    offset: int,
) -> list[RowMapping]:
    stmt = (
        select(orders).order_by(orders.c.created_at.desc(), orders.c.id).limit(limit).offset(offset)
    )
    if customer_id is not None:
        stmt = stmt.where(orders.c.customer_id == customer_id)
    if node_ids is not None:
        stmt = stmt.where(orders.c.node_id.in_(node_ids))
    if status is not None:
        stmt = stmt.where(orders.c.status == status)
    return list((await conn.execute(stmt)).mappings())


async def count_by_status(conn: AsyncConnection, statuses: Sequence[str]) -> dict[str, int]:
    """How many orders are in each of `statuses` (a status with none is left out)."""
    rows = await conn.execute(
        select(orders.c.status, func.count())
        .where(orders.c.status.in_(list(statuses)))
        .group_by(orders.c.status)
    )
    return {str(status): int(n) for status, n in rows.all()}
