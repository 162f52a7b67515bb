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


async def _run(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def test_0008_fills_each_node_s_franchisee_share_from_the_ledger(
    fresh_database: Callable[[], str],
) -> None:
    url = fresh_database()
    migrate(url, "0007")
    franchisee = "00000000-0000-0000-0000-0000000000f1"
    franchise, owned = (
        "00000000-0000-0000-0000-000000000001",
        "00000000-0000-0000-0000-000000000002",
    )
    # Two sales at a franchise node (480 + 120 units to its franchisee) and one at an
    # owner node; the buyers' and the owner's entries are not the franchisee's.
    entries = []
    for ref, franchisee_units in (("s1", 480), ("s2", 120)):
        entries.append(f"('THP', 'mint', 'acct:{franchisee}', {franchisee_units}, 'sale', '{ref}')")
        entries.append(f"('THP', 'mint', 'owner', 500, 'sale', '{ref}')")
        entries.append(f"('SPOT', 'mint', 'acct:{franchisee}', 7, 'sale', '{ref}')")
    entries.append("('THP', 'mint', 'owner', 960, 'sale', 's3')")
    asyncio.run(
        _run(
            url,
            "INSERT INTO accounts (id, role, wallet_address)"
            f" VALUES ('{franchisee}', 'franchisee', '0x{'f1' * 20}');"
            "INSERT INTO nodes (id, name, city, type, owner_account_id) VALUES"
            f" ('{franchise}', 'f', 'c', 'FRANCHISE', '{franchisee}'),"
            f" ('{owned}', 'o', 'c', 'OWNER', NULL);"
            "INSERT INTO purchases (ref_kind, ref_id, node_id, buyer_holder, amount_tetri,"
            " tokenomics_version) VALUES"
            f" ('sale', 's1', '{franchise}', 'custody', 10000, 0),"
            f" ('sale', 's2', '{franchise}', 'custody', 2500, 0),"
            f" ('sale', 's3', '{owned}', 'custody', 10000, 0);"
            "INSERT INTO ledger_entries (token, kind, to_holder, units, ref_kind, ref_id)"
            f" VALUES {', '.join(entries)};"
            f"INSERT INTO node_sales VALUES ('{franchise}', 2, 12500), ('{owned}', 1, 10000);",
        )
    )
    migrate(url)

    async def shares() -> dict[str, int]:
        conn = await asyncpg.connect(url)
        try:
            rows = await conn.fetch("SELECT node_id::text, franchisee_thp_units FROM node_sales")
        finally:
            await conn.close()
        return {row[0]: row[1] for row in rows}

    assert asyncio.run(shares()) == {franchise: 600, owned: 0}
