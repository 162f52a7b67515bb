"""The bench's data: staff and terminals through the real API, bulk rows by set-based SQL.

Customers are many (one per order, claim and vote), so they are inserted in one statement
each batch, with wallet addresses, and their access tokens are signed here with the bench
server's JWT_SECRET (what /auth/login would return, without one argon2 hash per customer).
Their ids are md5('bench-customer-' || n)::uuid, so the pgbench script can name the same
customers by number.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from harness.stack import BENCH_JWT_SECRET, Stack
from hotpot.security.tokens import Claims, issue_access_token

TOKEN_TTL_SECONDS = 86_400
MAX_PORTIONS = 100_000


def customer_id(n: int) -> uuid.UUID:
    import hashlib

    return uuid.UUID(hashlib.md5(f"bench-customer-{n}".encode()).hexdigest())


def customer_token(account: uuid.UUID) -> str:
    return issue_access_token(BENCH_JWT_SECRET, Claims(account, "customer", ()), TOKEN_TTL_SECONDS)


def ok(response: httpx.Response, *status: int) -> Any:
    if response.status_code not in (status or (200,)):
        raise RuntimeError(
            f"{response.request.method} {response.request.url}: "
            f"{response.status_code} {response.text[:300]}"
        )
    return response.json() if response.content else None


@dataclass
class World:
    stack: Stack
    http: httpx.Client
    owner: str = ""
    terminal: str = ""
    node: str = ""
    dishes: list[str] = field(default_factory=list)
    customers: int = 0

    def auth(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def sql(self, statement: str, *args: object) -> Any:
        return asyncio.run(_execute(self.stack.database_url, statement, *args))

    def fetch(self, statement: str, *args: object) -> list[asyncpg.Record]:
        return asyncio.run(_fetch(self.stack.database_url, statement, *args))

    def tokens_file(self, first: int, count: int) -> Path:
        """One access token a line for customers first .. first+count-1."""
        path = self.stack.folder / f"tokens-{first}-{count}.txt"
        if not path.exists():
            lines = (customer_token(customer_id(n)) for n in range(first, first + count))
            path.write_text("\n".join(lines) + "\n")
        return path

    def restock(self) -> None:
        """Every dish back to full stock at the bench node (orders and sales take portions)."""
        self.sql("UPDATE availability SET portions = $1", MAX_PORTIONS)


async def _execute(url: str, statement: str, *args: object) -> str:
    conn = await asyncpg.connect(url)
    try:
        return str(await conn.execute(statement, *args))
    finally:
        await conn.close()


async def _fetch(url: str, statement: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch(statement, *args))
    finally:
        await conn.close()


def build(stack: Stack, customers: int, spot_units: int = 1_000_000) -> World:
    creds = stack.credentials()
    http = httpx.Client(base_url=stack.url, timeout=60)
    world = World(stack, http)
    owner = creds["owner"]
    assert isinstance(owner, dict)
    world.owner = ok(
        http.post(
            "/api/v1/auth/login", json={"login": owner["login"], "password": owner["password"]}
        )
    )["access_token"]
    nodes = creds["nodes"]
    assert isinstance(nodes, dict)
    world.node = nodes["OWNER"]
    terminals = creds["terminals"]
    assert isinstance(terminals, dict)
    till = terminals["Tbilisi"]
    world.terminal = ok(
        http.post(
            "/api/v1/auth/terminal",
            json={"terminal_id": till["terminal_id"], "secret": till["secret"]},
        )
    )["access_token"]
    dishes = creds["dishes"]
    assert isinstance(dishes, list)
    world.dishes = [str(d) for d in dishes]
    for dish in world.dishes:
        ok(
            http.put(
                f"/api/v1/nodes/{world.node}/availability/{dish}",
                json={"portions": MAX_PORTIONS},
                headers=world.auth(world.owner),
            )
        )
    add_customers(world, customers, spot_units)
    return world


def add_customers(world: World, count: int, spot_units: int) -> None:
    """Customers n = 1..count with a wallet address and `spot_units` SPOT each (voters)."""
    first = world.customers + 1
    last = world.customers + count
    world.sql(
        """
        INSERT INTO accounts (id, role, wallet_address)
        SELECT md5('bench-customer-' || g)::uuid, 'customer',
               '0xbe' || lpad(to_hex(g), 38, '0')
        FROM generate_series($1::int, $2::int) AS g
        """,
        first,
        last,
    )
    world.sql(
        """
        WITH minted AS (
          INSERT INTO ledger_entries (token, kind, from_holder, to_holder, units, ref_kind, ref_id)
          SELECT 'SPOT', 'mint', NULL, 'acct:' || md5('bench-customer-' || g)::uuid, $3::bigint,
                 'bench', 'seed-' || g
          FROM generate_series($1::int, $2::int) AS g
          RETURNING to_holder, units
        ), balances AS (
          INSERT INTO ledger_balances (holder, token, units)
          SELECT to_holder, 'SPOT', units FROM minted
          RETURNING units
        )
        INSERT INTO ledger_supply (token, units)
        SELECT 'SPOT', coalesce(sum(units), 0) FROM balances
        ON CONFLICT (token) DO UPDATE SET units = ledger_supply.units + excluded.units
        """,
        first,
        last,
        spot_units,
    )
    world.customers = last
