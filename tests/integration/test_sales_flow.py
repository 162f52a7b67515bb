"""Walk-in sales and receipts against real PostgreSQL: minting into custody, idempotent
retries, who may sell and read, claims (happy path, wrong codes, races, SPOT day cap)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from hotpot.context import AppContext
from hotpot.domain.access import AccessRole, Actor
from hotpot.domain.errors import Gone
from hotpot.domain.receipts import CODE_ALPHABET, normalise_code
from hotpot.ledger import holders
from hotpot.ledger import repository as ledger
from hotpot.ledger.tables import ledger_entries
from hotpot.menu.tables import availability
from hotpot.sales import receipts
from hotpot.sales.qr import claim_url, public_base_url, qr_png
from hotpot.sales.tables import receipts as receipts_table
from hotpot.security.codes import MARKER
from tests.support import World, bearer, ok


async def sell(
    world: World,
    item: str,
    quantity: int = 1,
    *,
    token: str | None = None,
    sale_id: str | None = None,
    **extra: Any,
) -> httpx.Response:
    body = {
        "terminal_sale_id": sale_id or f"till-{uuid.uuid4().hex[:12]}",
        "lines": [{"item_id": item, "quantity": quantity}],
        **extra,
    }
    return await world.client.post(
        "/api/v1/sales", json=body, headers=bearer(token or world.tokens["terminal"])
    )


async def claim(world: World, token: str, receipt_id: str, code: str) -> httpx.Response:
    return await world.client.post(
        f"/api/v1/receipts/{receipt_id}/claim", json={"code": code}, headers=bearer(token)
    )


async def balance(ctx: AppContext, holder: str, token: str) -> int:
    async with ctx.db.read() as conn:
        return await ledger.balance(conn, holder, token)


async def entries_for(ctx: AppContext, ref_id: str) -> int:
    async with ctx.db.read() as conn:
        count = await conn.scalar(
            select(func.count())
            .select_from(ledger_entries)
            .where(ledger_entries.c.ref_id == ref_id)
        )
    return int(count or 0)


def other_code(code: str) -> str:
    """A well-formed code that is not `code`."""
    first = CODE_ALPHABET[(CODE_ALPHABET.index(code[0]) + 1) % len(CODE_ALPHABET)]
    return first + code[1:]


async def test_sale_mints_into_custody_and_the_claim_moves_it(
    world: World, ctx: AppContext
) -> None:
    item = await world.item(price=10_000, portions=5)  # 100.00 GEL, owner node
    custody_thp = await balance(ctx, holders.CUSTODY, "THP")
    custody_spot = await balance(ctx, holders.CUSTODY, "SPOT")
    owner_thp = await balance(ctx, holders.OWNER, "THP")
    sale = ok(await sell(world, item), 201)
    # The worked example of domain.md: 2 000 units -> owner 960, charity 60, buyer 980.
    assert sale["amount_tetri"] == 10_000
    assert (sale["thp_units"], sale["spot_units"]) == (980, 1_000)
    assert sale["node_id"] == world.node_a
    assert sale["receipt_status"] == "ACTIVE"
    code = sale["activation_code"]
    assert len(code) == 12 and normalise_code(code) == code
    assert sale["claim_url"].endswith(f"/claim?receipt={sale['receipt_id']}")
    assert code not in sale["claim_url"]
    assert await balance(ctx, holders.CUSTODY, "THP") - custody_thp == 980
    assert await balance(ctx, holders.CUSTODY, "SPOT") - custody_spot == 1_000
    assert await balance(ctx, holders.OWNER, "THP") - owner_thp == 960
    async with ctx.db.read() as conn:
        portions = await conn.scalar(
            select(availability.c.portions).where(
                availability.c.node_id == uuid.UUID(world.node_a),
                availability.c.item_id == uuid.UUID(item),
            )
        )
    assert portions == 4  # a walk-in portion is a portion

    account, token = await world.customer()
    wallet = holders.account_holder(uuid.UUID(account["id"]))
    # Printed codes are grouped and may be typed in lower case.
    typed = "-".join(code[i : i + 4] for i in range(0, 12, 4)).lower()
    claimed = ok(await claim(world, token, sale["receipt_id"], typed))
    assert claimed["status"] == "CLAIMED"
    assert (claimed["thp_units"], claimed["spot_units"], claimed["spot_units_burned"]) == (
        980,
        1_000,
        0,
    )
    assert await balance(ctx, wallet, "THP") == 980
    assert await balance(ctx, wallet, "SPOT") == 1_000
    assert await balance(ctx, holders.CUSTODY, "THP") == custody_thp
    assert await balance(ctx, holders.CUSTODY, "SPOT") == custody_spot

    # A retried claim answers the same; another customer is refused; nothing moves twice.
    assert ok(await claim(world, token, sale["receipt_id"], code)) == claimed
    _, stranger = await world.customer()
    again = await claim(world, stranger, sale["receipt_id"], code)
    assert again.status_code == 409 and again.json()["code"] == "receipt_already_claimed"
    assert await balance(ctx, wallet, "THP") == 980
    printed = ok(
        await world.client.get(
            f"/api/v1/receipts/{sale['receipt_id']}/print", headers=world.auth("cashier")
        )
    )
    assert printed["status"] == "CLAIMED" and printed["amount_tetri"] == 10_000
    assert printed["node_name"] == "A" and printed["thp_units"] == 980


async def test_franchise_sale_pays_the_franchisee(world: World, ctx: AppContext) -> None:
    item = await world.item(price=10_000, portions=5)
    sale = ok(await sell(world, item, token=world.tokens["terminal_b"]), 201)
    assert sale["node_id"] == world.node_b
    assert sale["thp_units"] == 960  # owner 500, franchisee 480, charity 60, buyer 960


async def test_retry_returns_the_same_receipt_and_a_reused_id_is_refused(
    world: World, ctx: AppContext
) -> None:
    item = await world.item(price=2_500, portions=10)
    first = ok(await sell(world, item, 2, sale_id="till-retry-1"), 201)
    retry = ok(await sell(world, item, 2, sale_id="till-retry-1"), 200)
    assert retry["receipt_id"] == first["receipt_id"]
    assert retry["sale_id"] == first["sale_id"]
    assert retry["amount_tetri"] == first["amount_tetri"] == 5_000
    assert await entries_for(ctx, first["sale_id"]) == 4  # minted once
    # The retry's code replaces the first one (the till printed only the one it got).
    assert retry["activation_code"] != first["activation_code"]
    _, token = await world.customer()
    stale = await claim(world, token, first["receipt_id"], first["activation_code"])
    assert stale.status_code == 403 and stale.json()["code"] == "wrong_code"
    ok(await claim(world, token, first["receipt_id"], retry["activation_code"]))

    different = await sell(world, item, 3, sale_id="till-retry-1")
    assert different.status_code == 409
    assert different.json()["code"] == "terminal_sale_id_reused"
    # Another terminal may use the same id of its own.
    other = ok(
        await sell(world, item, 1, sale_id="till-retry-1", token=world.tokens["terminal_b"]), 201
    )
    assert other["receipt_id"] != first["receipt_id"]
    # A claimed receipt's sale, retried, shows no code at all.
    assert ok(await sell(world, item, 2, sale_id="till-retry-1"), 200)["activation_code"] is None


async def test_concurrent_retries_record_one_sale(world: World, ctx: AppContext) -> None:
    item = await world.item(price=1_000, portions=50)
    responses = await asyncio.gather(*(sell(world, item, sale_id="till-race") for _ in range(6)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 5 + [201]
    assert len({r.json()["receipt_id"] for r in responses}) == 1
    assert await entries_for(ctx, responses[0].json()["sale_id"]) == 4


async def test_who_may_record_a_sale(world: World, ctx: AppContext) -> None:
    item = await world.item(price=1_000, portions=10)
    for role in ("customer", "cashier", "owner", "franchisee"):
        refused = await sell(world, item, token=world.tokens[role])
        assert refused.status_code == 403, role
    # A terminal acts for its token's node: naming another node is refused.
    wrong = await sell(world, item, node_id=world.node_b)
    assert wrong.status_code == 403 and wrong.json()["code"] == "wrong_node"
    assert ok(await sell(world, item, node_id=world.node_a), 201)["node_id"] == world.node_a
    # A terminal taken off the whitelist cannot sell any more.
    token = await world.terminal(world.node_a)
    ok(await sell(world, item, token=token), 201)
    terminal_id = next(reversed(world.terminal_secrets))
    ok(
        await world.client.patch(
            f"/api/v1/terminals/{terminal_id}",
            json={"whitelisted": False},
            headers=world.auth("owner"),
        )
    )
    delisted = await sell(world, item, token=token)
    assert delisted.status_code == 403 and delisted.json()["code"] == "terminal_not_whitelisted"


async def test_the_server_prices_and_guards_stock(world: World, ctx: AppContext) -> None:
    item = await world.item(price=1_000, portions=1)
    sold_out = await sell(world, item, 2)
    assert sold_out.status_code == 409 and sold_out.json()["code"] == "sold_out"
    unknown = await sell(world, str(uuid.uuid4()))
    assert unknown.status_code == 404 and unknown.json()["code"] == "item_not_found"
    priced = await sell(world, item, amount_tetri=1)
    assert priced.status_code == 422  # an amount is never sent: the server computes it
    # Two tills race for the last portion: exactly one sells it.
    both = await asyncio.gather(sell(world, item), sell(world, item))
    assert sorted(r.status_code for r in both) == [201, 409]


async def test_receipt_qr_and_print_are_for_the_node_only(world: World, ctx: AppContext) -> None:
    item = await world.item(price=1_000, portions=10)
    sale = ok(await sell(world, item), 201)
    path = f"/api/v1/receipts/{sale['receipt_id']}"
    png = await world.client.get(f"{path}/qr.png", headers=world.auth("terminal"))
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    # The QR encodes the claim link and nothing else (not the activation code).
    expected = claim_url(public_base_url(ctx.settings), uuid.UUID(sale["receipt_id"]))
    assert png.content == qr_png(expected)
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    for role in ("owner", "cashier", "franchisee", "terminal"):
        assert (await world.client.get(f"{path}/print", headers=world.auth(role))).status_code in (
            200,
            404,
        )
    assert (await world.client.get(f"{path}/print", headers=world.auth("owner"))).status_code == 200
    # The other node's staff and terminal see nothing; customers may not read receipts.
    for role in ("terminal_b", "franchisee", "chef_b"):
        refused = await world.client.get(f"{path}/print", headers=world.auth(role))
        assert refused.status_code in (403, 404), role
    assert (
        await world.client.get(f"{path}/print", headers=world.auth("terminal_b"))
    ).status_code == 404
    assert (
        await world.client.get(f"{path}/qr.png", headers=world.auth("customer"))
    ).status_code == 403
    missing = await world.client.get(
        f"/api/v1/receipts/{uuid.uuid4()}/print", headers=world.auth("owner")
    )
    assert missing.status_code == 404 and missing.json()["code"] == "receipt_not_found"


async def test_five_wrong_codes_lock_the_receipt(world: World, ctx: AppContext) -> None:
    item = await world.item(price=1_000, portions=10)
    sale = ok(await sell(world, item), 201)
    code = sale["activation_code"]
    _, token = await world.customer()
    for left in (4, 3, 2, 1):
        wrong = await claim(world, token, sale["receipt_id"], other_code(code))
        assert wrong.status_code == 403
        assert wrong.json()["code"] == "wrong_code" and wrong.json()["attempts_left"] == left
    fifth = await claim(world, token, sale["receipt_id"], other_code(code))
    assert fifth.status_code == 423 and fifth.json()["code"] == "receipt_locked"
    right = await claim(world, token, sale["receipt_id"], code)
    assert right.status_code == 423 and right.json()["code"] == "receipt_locked"
    printed = ok(
        await world.client.get(
            f"/api/v1/receipts/{sale['receipt_id']}/print", headers=world.auth("owner")
        )
    )
    assert printed["status"] == "LOCKED"
    # Malformed codes never reach the check (schema), so they are not counted.
    assert (await claim(world, token, sale["receipt_id"], "0OIL0OIL0OIL")).status_code == 422


async def stored_code_hash(ctx: AppContext, receipt_id: str) -> str:
    async with ctx.db.read() as conn:
        stored = await conn.scalar(
            select(receipts_table.c.code_hash).where(receipts_table.c.id == uuid.UUID(receipt_id))
        )
    assert isinstance(stored, str)
    return stored


async def test_activation_codes_are_stored_as_a_keyed_hash(world: World, ctx: AppContext) -> None:
    item = await world.item(price=1_000, portions=10)
    sale = ok(await sell(world, item), 201)
    code = sale["activation_code"]
    stored = await stored_code_hash(ctx, sale["receipt_id"])
    assert stored.startswith(MARKER) and not stored.startswith("$argon2")
    assert code not in stored
    assert stored == ctx.codes.hash(code)
    _, token = await world.customer()
    wrong = await claim(world, token, sale["receipt_id"], other_code(code))
    assert wrong.status_code == 403 and wrong.json()["attempts_left"] == 4
    assert ok(await claim(world, token, sale["receipt_id"], code))["status"] == "CLAIMED"


async def test_a_receipt_with_an_old_argon2_hash_still_claims(
    world: World, ctx: AppContext
) -> None:
    """Receipts issued before the keyed hash keep their argon2 hash until they expire."""
    item = await world.item(price=1_000, portions=10)
    sale = ok(await sell(world, item), 201)
    code = sale["activation_code"]
    async with ctx.db.transaction() as conn:
        await conn.execute(
            receipts_table.update()
            .where(receipts_table.c.id == uuid.UUID(sale["receipt_id"]))
            .values(code_hash=ctx.passwords.hash(code))
        )
    assert (await stored_code_hash(ctx, sale["receipt_id"])).startswith("$argon2")
    _, token = await world.customer()
    wrong = await claim(world, token, sale["receipt_id"], other_code(code))
    assert wrong.status_code == 403 and wrong.json()["attempts_left"] == 4
    assert ok(await claim(world, token, sale["receipt_id"], code))["status"] == "CLAIMED"


async def test_concurrent_claims_exactly_one_wins(world: World, ctx: AppContext) -> None:
    item = await world.item(price=3_000, portions=10)
    sale = ok(await sell(world, item), 201)
    customers = [await world.customer() for _ in range(4)]
    results = await asyncio.gather(
        *(
            claim(world, token, sale["receipt_id"], sale["activation_code"])
            for _, token in customers
        )
    )
    assert sorted(r.status_code for r in results) == [200, 409, 409, 409]
    paid = [
        await balance(ctx, holders.account_holder(uuid.UUID(account["id"])), "THP")
        for account, _ in customers
    ]
    assert sorted(paid) == [0, 0, 0, sale["thp_units"]]
    assert await entries_for(ctx, sale["receipt_id"]) == 2  # one THP and one SPOT claim


async def test_spot_above_the_day_cap_is_burned_at_claim(world: World, ctx: AppContext) -> None:
    item = await world.item(price=6_000, portions=10)  # 6 SPOT a receipt; the cap is 10 a day
    first = ok(await sell(world, item), 201)
    second = ok(await sell(world, item), 201)
    account, token = await world.customer()
    wallet = holders.account_holder(uuid.UUID(account["id"]))
    async with ctx.db.read() as conn:
        spot_supply = await ledger.supply(conn, "SPOT")
    ok(await claim(world, token, first["receipt_id"], first["activation_code"]))
    capped = ok(await claim(world, token, second["receipt_id"], second["activation_code"]))
    assert (capped["spot_units"], capped["spot_units_burned"]) == (400, 200)
    assert await balance(ctx, wallet, "SPOT") == 1_000
    async with ctx.db.read() as conn:
        assert await ledger.supply(conn, "SPOT") == spot_supply - 200


async def test_claim_is_for_customers_and_rate_limited(world: World, ctx: AppContext) -> None:
    item = await world.item(price=1_000, portions=10)
    sale = ok(await sell(world, item), 201)
    refused = await claim(
        world, world.tokens["cashier"], sale["receipt_id"], sale["activation_code"]
    )
    assert refused.status_code == 403
    _, token = await world.customer()
    unknown = [
        await claim(world, token, str(uuid.uuid4()), sale["activation_code"])
        for _ in range(receipts.CLAIMS_PER_MINUTE)
    ]
    assert {r.status_code for r in unknown} == {404}
    limited = await claim(world, token, sale["receipt_id"], sale["activation_code"])
    assert limited.status_code == 429 and "Retry-After" in limited.headers


async def test_a_claim_after_the_deadline_expires_the_receipt(
    world: World, ctx: AppContext
) -> None:
    item = await world.item(price=5_000, portions=10)
    sale = ok(await sell(world, item), 201)
    account, _ = await world.customer()
    customer = Actor(role=AccessRole.CUSTOMER, id=uuid.UUID(account["id"]))
    pool = await balance(ctx, holders.POOL, "THP")
    later = datetime.now(UTC) + timedelta(days=30, minutes=1)
    try:
        await receipts.claim_receipt(
            ctx, customer, uuid.UUID(sale["receipt_id"]), sale["activation_code"], now=later
        )
    except Gone as exc:
        assert exc.code == "receipt_expired"
    else:
        raise AssertionError("a claim after expiry must be refused")
    assert await balance(ctx, holders.POOL, "THP") - pool == sale["thp_units"]
    assert await balance(ctx, holders.account_holder(customer.id), "THP") == 0


async def test_claim_url_and_qr_use_public_base_url(
    world: World, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 10, item 16: the link on the slip is the operator's public origin, not localhost.
    monkeypatch.setattr(ctx.settings, "public_base_url", "https://pay.example.test/hp/")
    item = await world.item(price=1_000, portions=5)
    sale = ok(await sell(world, item), 201)
    expected = f"https://pay.example.test/hp/claim?receipt={sale['receipt_id']}"
    assert sale["claim_url"] == expected
    path = f"/api/v1/receipts/{sale['receipt_id']}"
    png = await world.client.get(f"{path}/qr.png", headers=world.auth("terminal"))
    assert png.status_code == 200 and png.content == qr_png(expected)
    printed = ok(await world.client.get(f"{path}/print", headers=world.auth("owner")), 200)
    assert printed["claim_url"] == expected
