"""Wallets, KYC-gated transfers, the streamed holders register and transparency."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import subprocess
import sys
import uuid

import httpx
import pytest
from sqlalchemy import text

from hotpot.config import Settings
from hotpot.context import AppContext
from hotpot.ledger import holders
from hotpot.ledger import repository as ledger
from hotpot.ledger.repository import Movement
from tests.support import LiveServer, World, bearer, ok


async def _grant(ctx: AppContext, account_id: str, thp: int, spot: int = 0) -> None:
    """Give a customer tokens straight through the ledger (a test shortcut for many sales)."""
    holder = holders.account_holder(uuid.UUID(account_id))
    ref = str(uuid.uuid4())
    async with ctx.db.transaction() as conn:
        await ledger.post(
            conn,
            ctx.settings,
            [
                Movement("THP", "mint", thp, None, holder, "order", ref),
                Movement("SPOT", "mint", spot, None, holder, "order", ref),
            ],
        )


async def _verify(client: httpx.AsyncClient, world: World, account_id: str) -> None:
    response = await client.put(
        f"/api/v1/customers/{account_id}/kyc",
        json={"status": "VERIFIED"},
        headers=world.auth("compliance"),
    )
    assert response.status_code == 204


async def test_wallet_shows_balances_role_and_history(
    client: httpx.AsyncClient, world: World, ctx: AppContext
) -> None:
    account, token = await world.customer()
    await _grant(ctx, account["id"], thp=250, spot=300)
    wallet = ok(await client.get("/api/v1/wallets/me", headers=bearer(token)))
    assert wallet["thp_units"] == 250 and wallet["spot_units"] == 300
    assert wallet["address"] == account["wallet_address"]
    assert wallet["role"] in {"Unauthorized", "Starter", "MiddlePlayer", "BigStack"}
    history = ok(await client.get("/api/v1/wallets/me/history", headers=bearer(token)))
    assert {(e["token"], e["units"]) for e in history["items"]} == {("THP", 250), ("SPOT", 300)}
    owner = ok(await client.get("/api/v1/wallets/me", headers=world.auth("owner")))
    assert owner["role"] == "MainOwner"
    chef = await client.get("/api/v1/wallets/me", headers=world.auth("chef"))
    assert chef.status_code == 403


async def test_history_pages_by_cursor_while_entries_arrive(
    client: httpx.AsyncClient, world: World, ctx: AppContext
) -> None:
    """Issue 11: history is paged by keyset; entries added meanwhile shift no page."""
    account, token = await world.customer()
    for units in range(1, 6):
        await _grant(ctx, account["id"], thp=units)
    url = "/api/v1/wallets/me/history"
    seen: list[int] = []
    page = ok(await client.get(url, params={"limit": 2}, headers=bearer(token)))
    while True:
        seen += [entry["units"] for entry in page["items"] if entry["token"] == "THP"]
        # A new entry at the head would move every later OFFSET page by one.
        await _grant(ctx, account["id"], thp=100)
        if page["next_cursor"] is None:
            break
        page = ok(
            await client.get(
                url, params={"limit": 2, "cursor": page["next_cursor"]}, headers=bearer(token)
            )
        )
    assert seen == [5, 4, 3, 2, 1]
    # An offset skips entries after the cursor; a cursor the document refuses is a 422.
    first = ok(await client.get(url, params={"limit": 1}, headers=bearer(token)))
    cursor = first["next_cursor"]
    skipped = ok(
        await client.get(url, params={"cursor": cursor, "offset": 1}, headers=bearer(token))
    )
    after = ok(await client.get(url, params={"cursor": cursor}, headers=bearer(token)))
    assert skipped["items"] == after["items"][1:]
    for bad in ("x", "", "1" * 19):
        refused = await client.get(url, params={"cursor": bad}, headers=bearer(token))
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["loc"][-1] == "cursor"


async def test_transfers_need_both_sides_verified(
    client: httpx.AsyncClient, world: World, ctx: AppContext
) -> None:
    sender, sender_token = await world.customer()
    receiver, _ = await world.customer()
    await _grant(ctx, sender["id"], thp=100)
    body = {"to_address": receiver["wallet_address"], "units": 40}
    refused = await client.post("/api/v1/transfers", json=body, headers=bearer(sender_token))
    assert refused.status_code == 409 and refused.json()["code"] == "kyc_required"
    await _verify(client, world, sender["id"])
    still = await client.post("/api/v1/transfers", json=body, headers=bearer(sender_token))
    assert still.status_code == 409 and "receiver" in still.json()["detail"]
    await _verify(client, world, receiver["id"])
    headers = {**bearer(sender_token), "Idempotency-Key": str(uuid.uuid4())}
    moved = ok(await client.post("/api/v1/transfers", json=body, headers=headers), 201)
    replay = ok(await client.post("/api/v1/transfers", json=body, headers=headers), 201)
    assert replay == moved  # a retried transfer moves nothing more
    async with ctx.db.read() as conn:
        assert (
            await ledger.balance(conn, holders.account_holder(uuid.UUID(sender["id"])), "THP") == 60
        )
        assert (
            await ledger.balance(conn, holders.account_holder(uuid.UUID(receiver["id"])), "THP")
            == 40
        )


async def test_overdraft_and_concurrent_spending_are_refused(
    client: httpx.AsyncClient, world: World, ctx: AppContext
) -> None:
    sender, token = await world.customer()
    receiver, _ = await world.customer()
    for account in (sender, receiver):
        await _verify(client, world, account["id"])
    await _grant(ctx, sender["id"], thp=100)
    body = {"to_address": receiver["wallet_address"], "units": 60}
    results = await asyncio.gather(
        *(client.post("/api/v1/transfers", json=body, headers=bearer(token)) for _ in range(5))
    )
    codes = sorted(r.status_code for r in results)
    assert codes == [201, 409, 409, 409, 409]
    async with ctx.db.read() as conn:
        assert (
            await ledger.balance(conn, holders.account_holder(uuid.UUID(sender["id"])), "THP") == 40
        )


async def test_the_49_percent_cap_refuses_a_transfer(
    client: httpx.AsyncClient, world: World, ctx: AppContext, database_url: str
) -> None:
    # A private small network: the cap is relative to the whole supply, so give the
    # receiver almost half of everything there is first.
    sender, token = await world.customer()
    receiver, _ = await world.customer()
    for account in (sender, receiver):
        await _verify(client, world, account["id"])
    async with ctx.db.read() as conn:
        supply = await ledger.supply(conn, "THP")
    await _grant(ctx, receiver["id"], thp=supply)  # receiver now holds ~50 % of supply
    await _grant(ctx, sender["id"], thp=10)
    response = await client.post(
        "/api/v1/transfers",
        json={"to_address": receiver["wallet_address"], "units": 10},
        headers=bearer(token),
    )
    assert response.status_code == 409 and response.json()["code"] == "customer_cap"


async def test_only_compliance_sets_kyc(client: httpx.AsyncClient, world: World) -> None:
    account, _ = await world.customer()
    for role in ("owner", "customer", "chef"):
        response = await client.put(
            f"/api/v1/customers/{account['id']}/kyc",
            json={"status": "VERIFIED"},
            headers=world.auth(role),
        )
        assert response.status_code == 403, role
    missing = await client.put(
        f"/api/v1/customers/{uuid.uuid4()}/kyc",
        json={"status": "VERIFIED"},
        headers=world.auth("compliance"),
    )
    assert missing.status_code == 404


async def _queue(
    client: httpx.AsyncClient, world: World, **params: str
) -> tuple[list[str], dict[str, dict[str, str]]]:
    """Every customer of the KYC queue, page by page along the cursor: ids in order, items."""
    seen: list[str] = []
    items: dict[str, dict[str, str]] = {}
    cursor: str | None = None
    while True:
        query = {"limit": "100", **params, **({"cursor": cursor} if cursor else {})}
        page = ok(
            await client.get("/api/v1/kyc/queue", params=query, headers=world.auth("compliance"))
        )
        seen += [item["id"] for item in page["items"]]
        items |= {item["id"]: item for item in page["items"]}
        cursor = page["next_cursor"]
        if cursor is None:
            return seen, items


async def test_the_kyc_queue_pages_waiting_customers_by_cursor(
    client: httpx.AsyncClient, world: World
) -> None:
    waiting, _ = await world.customer()
    pending, _ = await world.customer()
    verified, _ = await world.customer()
    rejected, _ = await world.customer()
    for account, status in ((pending, "PENDING"), (verified, "VERIFIED"), (rejected, "REJECTED")):
        done = await client.put(
            f"/api/v1/customers/{account['id']}/kyc",
            json={"status": status},
            headers=world.auth("compliance"),
        )
        assert done.status_code == 204
    seen, items = await _queue(client, world)
    assert len(seen) == len(set(seen))  # no customer on two pages
    assert items[waiting["id"]]["kyc_status"] == "NOT_STARTED"
    assert items[pending["id"]]["kyc_status"] == "PENDING"
    assert verified["id"] not in items and rejected["id"] not in items
    # Oldest first: the four registered in this order.
    assert seen.index(waiting["id"]) < seen.index(pending["id"])
    only_pending, _ = await _queue(client, world, status="PENDING")
    assert pending["id"] in only_pending and waiting["id"] not in only_pending
    # Staff are never in the queue (they have no KYC); compliance sees who to check.
    assert (await world.staff("compliance"))["id"] not in items
    assert items[pending["id"]]["email"] == pending["email"]
    assert items[pending["id"]]["wallet_address"] == pending["wallet_address"]
    # Paging two at a time from a cursor gives the same order as one long page.
    cursor = seen[0]
    two = ok(
        await client.get(
            "/api/v1/kyc/queue",
            params={"limit": "2", "cursor": cursor},
            headers=world.auth("compliance"),
        )
    )
    assert [item["id"] for item in two["items"]] == seen[1:3]
    skipped = ok(
        await client.get(
            "/api/v1/kyc/queue",
            params={"limit": "1", "cursor": cursor, "offset": "1"},
            headers=world.auth("compliance"),
        )
    )
    assert [item["id"] for item in skipped["items"]] == seen[2:3]
    for bad, code in ((str(uuid.uuid4()), "invalid_cursor"), ("x", None)):
        refused = await client.get(
            "/api/v1/kyc/queue", params={"cursor": bad}, headers=world.auth("compliance")
        )
        assert refused.status_code == 422, refused.text
        if code:
            assert refused.json()["code"] == code
    for role in ("owner", "customer", "chef"):
        assert (await client.get("/api/v1/kyc/queue", headers=world.auth(role))).status_code == 403


async def test_transparency_is_public_and_adds_up(
    client: httpx.AsyncClient, world: World, ctx: AppContext
) -> None:
    figures = ok(await client.get("/api/v1/transparency"))
    async with ctx.db.read() as conn:
        assert figures["thp_supply_units"] == await ledger.supply(conn, "THP")
        assert figures["charity_thp_units"] == await ledger.balance(conn, holders.CHARITY, "THP")
    assert figures["cap_breaches"] == [] or isinstance(figures["cap_breaches"], list)
    assert all(n["sales_count"] >= 1 for n in figures["sales_by_node"])


async def test_register_is_for_owner_and_compliance(
    client: httpx.AsyncClient, world: World
) -> None:
    for role, status in (("owner", 200), ("compliance", 200), ("customer", 403), ("chef", 403)):
        response = await client.get("/api/v1/registry/holders", headers=world.auth(role))
        assert response.status_code == status, role


@pytest.fixture(scope="module")
async def many_holders(ctx: AppContext) -> int:
    """100 000 customers with balances, inserted in bulk by SQL."""
    count = 100_000
    async with ctx.db.transaction() as conn:
        await conn.execute(
            text(
                "INSERT INTO accounts (id, role, wallet_address, kyc_status)"
                " SELECT gen_random_uuid(), 'customer',"
                "  '0x' || lpad(to_hex(n), 36, '0') || 'beef', 'NOT_STARTED'"
                " FROM generate_series(1, :count) AS n"
            ),
            {"count": count},
        )
        await conn.execute(
            text(
                "INSERT INTO ledger_balances (holder, token, units)"
                " SELECT 'acct:' || id::text, 'THP', 1 FROM accounts"
                " WHERE wallet_address LIKE '%beef'"
            )
        )
        await conn.execute(
            text("UPDATE ledger_supply SET units = units + :count WHERE token = 'THP'"),
            {"count": count},
        )
    return count


def test_register_streams_100k_holders_over_http(
    settings: Settings, world: World, many_holders: int
) -> None:
    # Over a real socket: an in-process transport would buffer the whole body.
    chunks = rows = 0
    tail = b""
    with (
        LiveServer(settings) as server,
        httpx.stream(
            "GET",
            f"{server.url}/api/v1/registry/holders",
            params={"format": "csv"},
            headers=world.auth("owner"),
            timeout=120,
        ) as response,
    ):
        assert response.status_code == 200
        for chunk in response.iter_raw():
            chunks += 1
            data = tail + chunk
            rows += data.count(b"\n")
            tail = data[data.rfind(b"\n") + 1 :]
    assert rows - 1 >= many_holders  # header line + every holder
    assert chunks > 50  # it arrived piece by piece, not as one body


_MEASURE_REGISTER = """
import asyncio, sys, tracemalloc
from hotpot.app import build_context
from hotpot.config import Settings
from hotpot.registry import service

async def main():
    ctx = build_context(Settings(database_url=sys.argv[1]))
    total = 0
    tracemalloc.start()
    async for chunk in service.holders_csv(ctx):
        total += len(chunk)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    await ctx.db.dispose()
    print(total, peak)

asyncio.run(main())
"""


def test_register_is_produced_in_bounded_memory(database_url: str, many_holders: int) -> None:
    # The generator behind the endpoint, measured in a process of its own (nothing else
    # allocating meanwhile): what it holds at any moment is a batch, not the register.
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE_REGISTER, database_url],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    total, peak = (int(part) for part in result.stdout.split())
    assert total > 100 * many_holders  # about 115 bytes a row
    assert peak < total / 4, f"peak {peak} bytes for a {total}-byte register"


async def test_register_json_is_a_valid_array(
    client: httpx.AsyncClient, world: World, many_holders: int
) -> None:
    response = await client.get(
        "/api/v1/registry/holders", params={"format": "json"}, headers=world.auth("owner")
    )
    data = json.loads(response.content)
    assert len(data) >= many_holders
    sample = data[0]
    assert set(sample) == {"holder", "address", "thp_units", "spot_units", "kyc_status", "role"}
    csv_text = (
        await client.get(
            "/api/v1/registry/holders", params={"format": "csv"}, headers=world.auth("owner")
        )
    ).text
    assert len(list(csv.reader(io.StringIO(csv_text)))) == len(data) + 1
