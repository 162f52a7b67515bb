"""The SQL an order create really runs, captured and turned into a pgbench script.

How: the bench builds the app in-process on the bench database (`create_app`, the same
composition root `serve` uses), listens to SQLAlchemy's engine events (every statement
with its parameters, and every BEGIN / COMMIT / ROLLBACK) and sends one
`POST /api/v1/orders` through it. Each statement is written with its parameters as
literals, except the values that must differ per transaction, which become pgbench
expressions:

- the customer's id (and its ledger holder key) -> a random bench customer `:c`;
- the Idempotency-Key -> a key from pgbench's client id and a random `:seq`;
- every other UUID that is not a known fixture (the new order's id, its lines' ids)
  -> `md5(client_id, seq, n)::uuid`, the same within the transaction;
- the dish -> one of the bench dishes at random (`:i`), as the wrk script rotates them.

Because the capture runs on every bench run, the script follows the code as it changes;
the run keeps the script it used next to its JSON result (`*.order.pgbench`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.engine import Engine

from harness.seed import World, customer_id, customer_token


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return f"'\\x{bytes(value).hex()}'::bytea"
    if isinstance(value, dt.datetime | dt.date):
        return f"'{value.isoformat()}'"
    if isinstance(value, dict | list | tuple):
        if isinstance(value, list | tuple) and not all(isinstance(v, dict) for v in value):
            return "ARRAY[" + ", ".join(_literal(v) for v in value) + "]"
        return _quote(json.dumps(value))
    return _quote(str(value))


# pgbench reads `:name` anywhere in a line as a variable, literals included ('acct:ab..',
# times, JSON). Colons in literals are marked while rendering and written as E'\x3a' at
# the end: the server reads the same string.
COLON = "\x1f"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''").replace(":", COLON) + "'"


def _escape_colons(sql: str) -> str:
    def escaped(match: re.Match[str]) -> str:
        inner = match.group(1).replace("\\", "\\\\").replace(COLON, "\\x3a")
        return f"E'{inner}'"

    return re.sub(r"'((?:[^']|'')*" + COLON + r"(?:[^']|'')*)'", escaped, sql)


def _render(statement: str, parameters: Any) -> str:
    params = list(parameters or ())
    # Highest first, so $1 does not eat the prefix of $12.
    for index in range(len(params), 0, -1):
        statement = statement.replace(f"${index}", _literal(params[index - 1]))
    return " ".join(statement.split())


@contextmanager
def recording() -> Iterator[list[str]]:
    captured: list[str] = []

    def on_execute(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        captured.append(_render(statement, parameters) + ";")

    def marker(sql: str) -> Any:
        return lambda *_: captured.append(sql)

    listeners = [
        ("before_cursor_execute", on_execute),
        ("begin", marker("BEGIN;")),
        ("commit", marker("COMMIT;")),
        ("rollback", marker("ROLLBACK;")),
    ]
    for name, fn in listeners:
        event.listen(Engine, name, fn)
    try:
        yield captured
    finally:
        for name, fn in listeners:
            event.remove(Engine, name, fn)


async def _capture(world: World, key: str) -> list[str]:
    from hotpot.app import create_app
    from hotpot.config import Settings
    from hotpot.telemetry.logging import configure_logging

    env = world.stack.server_env()
    settings = Settings(
        database_url=env["DATABASE_URL"],
        redis_url=env["REDIS_URL"],
        redis_namespace=env["REDIS_NAMESPACE"],
        jwt_secret=env["JWT_SECRET"],
        hotpot_env="development",
        rate_limit_orders_per_minute=100_000_000,
    )
    configure_logging("WARNING")  # the in-process app's access log is noise here
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    body = {"node_id": world.node, "lines": [{"item_id": world.dishes[0], "quantity": 1}]}
    headers = {"Authorization": f"Bearer {customer_token(customer_id(1))}", "Idempotency-Key": key}
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        # One order first, so one-time work (caches, prepared statements) is not captured.
        await client.post(
            "/api/v1/orders", json=body, headers={**headers, "Idempotency-Key": key + "-warm"}
        )
        with recording() as captured:
            response = await client.post("/api/v1/orders", json=body, headers=headers)
    ctx = app.state.context
    await ctx.cache.close()
    await ctx.db.dispose()
    if response.status_code != 201:
        raise RuntimeError(f"capture order: {response.status_code} {response.text[:300]}")
    return captured


def pgbench_script(world: World) -> tuple[str, int]:
    """The pgbench script of one order create, and how many statements it sends."""
    key = f"capture-{uuid.uuid4().hex}"
    statements = asyncio.run(_capture(world, key))
    known = {world.node, *world.dishes}
    known.update(str(row["id"]) for row in world.fetch("SELECT id FROM accounts"))
    customer = str(customer_id(1))
    dishes = "ARRAY[" + ", ".join(f"'{d}'" for d in world.dishes) + "]"
    per_tx = "CAST(:client_id AS text) || '-' || CAST(:seq AS text)"
    customer_sql = "md5('bench-customer-' || CAST(:c AS text))::uuid"
    generated: dict[str, str] = {}
    lines = [
        "-- One POST /api/v1/orders, as captured by bench/harness/capture.py (do not edit:",
        "-- every bench run captures it again from the code).",
        "\\set c random(1, :customers)",
        "\\set seq random(1, 1000000000000)",
        f"\\set i random(1, {len(world.dishes)})",
    ]
    uuid_literal = re.compile(r"'([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})'")

    def replace_uuid(match: re.Match[str]) -> str:
        value = match.group(1)
        if value == customer:
            return customer_sql
        if value == world.dishes[0]:
            return f"({dishes})[:i]::uuid"
        if value in known:
            return match.group(0)
        name = generated.setdefault(value, f"g{len(generated) + 1}")
        return f"md5({per_tx} || '-{name}')::uuid"

    count = 0
    for sql in statements:
        sql = sql.replace(f"'acct{COLON}{customer}'", f"('acct:' || {customer_sql})")
        sql = sql.replace(f"'{key}'", f"('k-' || {per_tx})")
        sql = _escape_colons(uuid_literal.sub(replace_uuid, sql))
        if sql not in ("BEGIN;", "COMMIT;", "ROLLBACK;"):
            count += 1
        lines.append(sql)
    return "\n".join(lines) + "\n", count
