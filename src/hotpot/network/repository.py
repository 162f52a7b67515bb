"""SQL for nodes and their terminals."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

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


async def node_active(conn: AsyncConnection, node_id: UUID) -> bool | None:
    """Whether the node is active; None when there is no such node."""
    return await conn.scalar(select(nodes.c.active).where(nodes.c.id == node_id))


async def any_node(conn: AsyncConnection) -> bool:
    return bool(await conn.scalar(select(select(nodes.c.id).exists())))


async def node_ids(conn: AsyncConnection) -> list[UUID]:
    return list(await conn.scalars(select(nodes.c.id)))


async def owned_node_ids(conn: AsyncConnection, account_id: UUID) -> list[UUID]:
    rows = await conn.scalars(select(nodes.c.id).where(nodes.c.owner_account_id == account_id))
    return list(rows)


async def terminal(conn: AsyncConnection, terminal_id: UUID) -> RowMapping | None:
    stmt = select(terminals).where(terminals.c.id == terminal_id)
    return (await conn.execute(stmt)).mappings().first()


async def terminal_whitelisted(conn: AsyncConnection, terminal_id: UUID) -> bool | None:
    """Whether the terminal is whitelisted; None when there is no such terminal."""
    stmt = select(terminals.c.whitelisted).where(terminals.c.id == terminal_id)
    return await conn.scalar(stmt)


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
