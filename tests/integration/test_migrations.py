"""The schema's migrations go up from empty, back down to nothing, and up again."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import asyncpg

from hotpot.adapters.database import downgrade, migrate
from hotpot.migrations.metadata import metadata


async def _tables(url: str) -> set[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT tablename FROM pg_tables"
            " WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        )
    finally:
        await conn.close()
    return {row["tablename"] for row in rows}


def test_up_down_up(fresh_database: Callable[[], str]) -> None:
    url = fresh_database()
    assert asyncio.run(_tables(url)) == set()
    migrate(url)
    assert asyncio.run(_tables(url)) == set(metadata.tables)
    downgrade(url, "base")
    assert asyncio.run(_tables(url)) == set()
    migrate(url)
    assert asyncio.run(_tables(url)) == set(metadata.tables)


async def _violates(url: str, sql: str) -> bool:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    except asyncpg.IntegrityConstraintViolationError:
        return True
    finally:
        await conn.close()
    return False


def test_the_database_enforces_its_invariants(fresh_database: Callable[[], str]) -> None:
    url = fresh_database()
    migrate(url)
    node = "'00000000-0000-0000-0000-000000000001'"
    item = "'00000000-0000-0000-0000-000000000002'"
    setup = (
        f"INSERT INTO nodes (id, name, city, type) VALUES ({node}, 'n', 'c', 'OWNER');"
        "INSERT INTO menu_items (id, name, price_tetri, status)"
        f" VALUES ({item}, 'i', 100, 'ACTIVE');"
        f"INSERT INTO availability (node_id, item_id, portions) VALUES ({node}, {item}, 1);"
    )
    assert not asyncio.run(_violates(url, setup))
    negative = f"UPDATE availability SET portions = portions - 2 WHERE item_id = {item}"
    assert asyncio.run(_violates(url, negative))
    assert asyncio.run(_violates(url, f"UPDATE menu_items SET price_tetri = 0 WHERE id = {item}"))
    assert asyncio.run(_violates(url, f"UPDATE menu_items SET status = 'GONE' WHERE id = {item}"))
    assert asyncio.run(_violates(url, f"UPDATE nodes SET type = 'OTHER' WHERE id = {node}"))
