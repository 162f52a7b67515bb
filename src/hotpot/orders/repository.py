"""SQL for orders: creation, the guarded status change, and reads (stock is the menu's)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

# Stock is the menu's (its availability table); sales still reaches these two through
# this module, so they stay importable from here until sales calls the menu's repository.
from hotpot.orders.tables import order_events, order_lines, orders

# The order, its lines (one unnest of arrays, however many) and its first event in one
# statement: the rows' foreign keys are checked at its end, so the CTEs see each other.
_INSERT_ORDER = text(
    "WITH o AS (INSERT INTO orders (id, customer_id, node_id, status, total_tetri)"
    " VALUES (:id, :customer_id, :node_id, :status, :total_tetri)"
    " RETURNING created_at, updated_at),"
    " l AS (INSERT INTO order_lines (order_id, line_no, item_id, quantity, unit_price_tetri)"
    " SELECT CAST(:id AS uuid), n, item, q, p FROM unnest("
    "CAST(:line_nos AS integer[]), CAST(:item_ids AS uuid[]),"
    " CAST(:quantities AS integer[]), CAST(:prices AS bigint[])) AS t(n, item, q, p)),"
    " e AS (INSERT INTO order_events (order_id, from_status, to_status, actor)"
    " VALUES (:id, NULL, :status, :actor))"
    " SELECT created_at, updated_at FROM o"
).columns(orders.c.created_at, orders.c.updated_at)


async def insert_order(
    conn: AsyncConnection, order: dict[str, Any], lines: list[dict[str, Any]], actor: str
) -> RowMapping:
    """Insert the order with its lines and first event; its (created_at, updated_at)."""
    params = {
        **order,
        "line_nos": [line["line_no"] for line in lines],
        "item_ids": [line["item_id"] for line in lines],
        "quantities": [line["quantity"] for line in lines],
        "prices": [line["unit_price_tetri"] for line in lines],
        "actor": actor,
    }
    return (await conn.execute(_INSERT_ORDER, params)).mappings().one()


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


async def open_orders(
    conn: AsyncConnection, node_id: UUID, statuses: Sequence[str], limit: int, offset: int
) -> list[RowMapping]:
    """A node's orders in any of `statuses`, oldest first.

    One scan of ix_orders_node_status_created, one range per status: only open orders are
    read, however many completed ones the node has, and sorting those few is cheap.
    """
    stmt = (
        select(orders)
        .where(orders.c.node_id == node_id, orders.c.status.in_(list(statuses)))
        .order_by(orders.c.created_at, orders.c.id)
        .limit(limit)
        .offset(offset)
    )
    return list((await conn.execute(stmt)).mappings())


async def count_by_status(conn: AsyncConnection, statuses: Sequence[str]) -> dict[str, int]:
    """How many orders are in each of `statuses` (a status with none is left out)."""
    rows = await conn.execute(
        select(orders.c.status, func.count())
        .where(orders.c.status.in_(list(statuses)))
        .group_by(orders.c.status)
    )
    return {str(status): int(n) for status, n in rows.all()}
