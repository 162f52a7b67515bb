"""SQL for nodes, terminals and per-node availability."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.accounts.tables import accounts
from hotpot.menu.tables import availability, menu_items
from hotpot.network.tables import nodes, terminals


async def insert_node(conn: AsyncConnection, values: dict[str, Any]) -> RowMapping:
    row = await conn.execute(insert(nodes).values(**values).returning(*nodes.c))
    return row.mappings().one()


async def node(conn: AsyncConnection, node_id: UUID) -> RowMapping | None:
    return (await conn.execute(select(nodes).where(nodes.c.id == node_id))).mappings().first()


async def update_node(
    conn: AsyncConnection, node_id: UUID, values: dict[str, Any]
) -> RowMapping | None:
    stmt = update(nodes).where(nodes.c.id == node_id).values(**values).returning(*nodes.c)
    return (await conn.execute(stmt)).mappings().first()


async def list_nodes(
    conn: AsyncConnection, active_only: bool, limit: int, offset: int
) -> list[RowMapping]:
    stmt = select(nodes).order_by(nodes.c.created_at, nodes.c.id).limit(limit).offset(offset)
    if active_only:
        stmt = stmt.where(nodes.c.active.is_(True))
    return list((await conn.execute(stmt)).mappings())


async def account_role(conn: AsyncConnection, account_id: UUID) -> str | None:
    return await conn.scalar(select(accounts.c.role).where(accounts.c.id == account_id))


async def insert_terminal(conn: AsyncConnection, values: dict[str, Any]) -> RowMapping:
    row = await conn.execute(insert(terminals).values(**values).returning(*terminals.c))
    return row.mappings().one()


async def list_terminals(
    conn: AsyncConnection, node_id: UUID, limit: int, offset: int
) -> list[RowMapping]:
    stmt = (
        select(terminals)
        .where(terminals.c.node_id == node_id)
        .order_by(terminals.c.created_at, terminals.c.id)
        .limit(limit)
        .offset(offset)
    )
    return list((await conn.execute(stmt)).mappings())


async def set_whitelisted(
    conn: AsyncConnection, terminal_id: UUID, value: bool
) -> RowMapping | None:
    stmt = (
        update(terminals)
        .where(terminals.c.id == terminal_id)
        .values(whitelisted=value)
        .returning(*terminals.c)
    )
    return (await conn.execute(stmt)).mappings().first()


async def item_exists(conn: AsyncConnection, item_id: UUID) -> bool:
    return await conn.scalar(select(menu_items.c.id).where(menu_items.c.id == item_id)) is not None


async def set_availability(
    conn: AsyncConnection, node_id: UUID, item_id: UUID, portions: int
) -> None:
    stmt = pg_insert(availability).values(node_id=node_id, item_id=item_id, portions=portions)
    stmt = stmt.on_conflict_do_update(
        index_elements=[availability.c.node_id, availability.c.item_id],
        set_={"portions": portions, "updated_at": func.now()},
    )
    await conn.execute(stmt)
