"""SQL for menu items, their ingredients, the portions each node has left, and the public read."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.menu.tables import availability, menu_ingredients, menu_items


async def insert_item(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(insert(menu_items).values(**values))


async def replace_ingredients(
    conn: AsyncConnection, item_id: UUID, rows: list[dict[str, Any]]
) -> None:
    await conn.execute(delete(menu_ingredients).where(menu_ingredients.c.item_id == item_id))
    if rows:
        await conn.execute(
            insert(menu_ingredients),
            [{"item_id": item_id, "position": i, **row} for i, row in enumerate(rows)],
        )


async def item_for_update(conn: AsyncConnection, item_id: UUID) -> RowMapping | None:
    stmt = select(menu_items).where(menu_items.c.id == item_id).with_for_update()
    return (await conn.execute(stmt)).mappings().first()


async def update_item(conn: AsyncConnection, item_id: UUID, values: dict[str, Any]) -> None:
    await conn.execute(
        update(menu_items).where(menu_items.c.id == item_id).values(**values, updated_at=func.now())
    )


async def items(
    conn: AsyncConnection,
    *,
    ids: Sequence[UUID] | None = None,
    status: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[RowMapping]:
    stmt = select(menu_items).order_by(
        menu_items.c.priority.desc(), menu_items.c.name, menu_items.c.id
    )
    if ids is not None:
        stmt = stmt.where(menu_items.c.id.in_(ids))
    if status is not None:
        stmt = stmt.where(menu_items.c.status == status)
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    return list((await conn.execute(stmt)).mappings())


async def ingredients_of(
    conn: AsyncConnection, item_ids: Sequence[UUID]
) -> dict[UUID, list[RowMapping]]:
    if not item_ids:
        return {}
    stmt = (
        select(menu_ingredients)
        .where(menu_ingredients.c.item_id.in_(item_ids))
        .order_by(menu_ingredients.c.item_id, menu_ingredients.c.position)
    )
    grouped: dict[UUID, list[RowMapping]] = defaultdict(list)
    for row in (await conn.execute(stmt)).mappings():
        grouped[row["item_id"]].append(row)
    return grouped


async def portions_at(conn: AsyncConnection, node_id: UUID) -> dict[UUID, int]:
    stmt = select(availability.c.item_id, availability.c.portions).where(
        availability.c.node_id == node_id
    )
    return {row.item_id: row.portions for row in await conn.execute(stmt)}


async def item_exists(conn: AsyncConnection, item_id: UUID) -> bool:
    return await conn.scalar(select(menu_items.c.id).where(menu_items.c.id == item_id)) is not None


async def set_portions(conn: AsyncConnection, node_id: UUID, item_id: UUID, portions: int) -> None:
    stmt = pg_insert(availability).values(node_id=node_id, item_id=item_id, portions=portions)
    stmt = stmt.on_conflict_do_update(
        index_elements=[availability.c.node_id, availability.c.item_id],
        set_={"portions": portions, "updated_at": func.now()},
    )
    await conn.execute(stmt)


async def items_with_stock(
    conn: AsyncConnection, node_id: UUID, item_ids: Sequence[UUID]
) -> dict[UUID, RowMapping]:
    stmt = (
        select(
            menu_items.c.id,
            menu_items.c.status,
            menu_items.c.price_tetri,
            func.coalesce(availability.c.portions, 0).label("portions"),
        )
        .select_from(
            menu_items.outerjoin(
                availability,
                and_(availability.c.item_id == menu_items.c.id, availability.c.node_id == node_id),
            )
        )
        .where(menu_items.c.id.in_(item_ids))
    )
    return {row["id"]: row for row in (await conn.execute(stmt)).mappings()}


async def take_stock(conn: AsyncConnection, node_id: UUID, item_id: UUID, quantity: int) -> bool:
    """Atomically take portions; False (and nothing changed) when not enough are left."""
    stmt = (
        update(availability)
        .where(
            availability.c.node_id == node_id,
            availability.c.item_id == item_id,
            availability.c.portions >= quantity,
        )
        .values(portions=availability.c.portions - quantity, updated_at=func.now())
        .returning(availability.c.portions)
    )
    return (await conn.execute(stmt)).first() is not None


async def return_stock(conn: AsyncConnection, node_id: UUID, item_id: UUID, quantity: int) -> None:
    stmt = pg_insert(availability).values(node_id=node_id, item_id=item_id, portions=quantity)
    stmt = stmt.on_conflict_do_update(
        index_elements=[availability.c.node_id, availability.c.item_id],
        set_={"portions": availability.c.portions + quantity, "updated_at": func.now()},
    )
    await conn.execute(stmt)
