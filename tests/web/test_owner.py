"""The owner console against the real app: each action through its form changes what the
API reports; every page and form is the owner's only; CSRF; bad input in words."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, update

from hotpot.sales.tables import receipts
from hotpot.web.templating import CONTENT_SECURITY_POLICY
from tests.integration.test_sales_pool import app_on, claim, migrated_database, sell
from tests.support import PASSWORD, World, bearer, ok, unique_email
from tests.web.conftest import Browser, csrf_of, signed_in, submit, terminal_browser
from tests.web.test_pages import assert_no_inline_code

ITEM_LINK = re.compile(r"/app/owner/menu/items/([0-9a-f-]{36})")
NODE_LINK = re.compile(r"/app/owner/nodes/([0-9a-f-]{36})")
CONSOLE_PAGES = ("/app/owner", "/app/owner/menu", "/app/owner/nodes", "/app/owner/staff")


async def owner_browser(make: Browser, world: World) -> httpx.AsyncClient:
    owner = await world.staff("owner")
    browser = await make()
    signed = await submit(
        browser, "/app/signin", "/app/signin", {"login": owner["email"], "password": PASSWORD}
    )
    assert signed.status_code == 303, signed.text
    assert signed.headers["location"] == "/app/owner"  # the owner lands on the console
    return browser


async def staff_listed(world: World) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    offset: int | None = 0
    while offset is not None:
        page = ok(
            await world.client.get(
                "/api/v1/staff",
                params={"limit": 100, "offset": offset},
                headers=world.auth("owner"),
            )
        )
        found += page["items"]
        offset = page["next_offset"]
    return found


async def all_nodes(world: World) -> list[dict[str, Any]]:
    page = ok(
        await world.client.get("/api/v1/nodes", params={"include_inactive": "true", "limit": 100})
    )
    return list(page["items"])


def assert_refused_in_words(response: httpx.Response, status: int, words: str) -> None:
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("text/html")
    assert 'role="alert"' in response.text
    assert words in response.text, response.text[:2000]
    assert "Traceback" not in response.text


async def test_every_console_page_renders_for_the_owner_with_the_csp(
    browser_factory: Browser, world: World
) -> None:
    owner = await owner_browser(browser_factory, world)
    item = await world.item()
    pages = [
        *CONSOLE_PAGES,
        f"/app/owner/menu/items/{item}",
        f"/app/owner/nodes/{world.node_a}",
        f"/app/owner/nodes/{world.node_b}",
    ]
    for path in pages:
        response = await owner.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert_no_inline_code(response.text)
        assert 'href="/app/owner"' in response.text  # the console is in the owner's nav
    console = (await owner.get("/app/owner")).text
    assert 'href="/app/transparency"' in console
    assert 'href="/app/registry/holders.csv"' in console


async def test_console_pages_and_forms_are_the_owners_only(
    browser_factory: Browser, world: World
) -> None:
    account, _ = await world.customer()
    customer = await signed_in(browser_factory, account["email"])
    chef = await signed_in(browser_factory, (await world.staff("chef", world.node_a))["email"])
    compliance = await signed_in(browser_factory, (await world.staff("compliance"))["email"])
    franchisee = await signed_in(browser_factory, (await world.staff("franchisee"))["email"])
    till = await terminal_browser(browser_factory, world, world.node_a)
    anonymous = await browser_factory()
    item = await world.item()
    pages = [
        *CONSOLE_PAGES,
        "/app/owner/pool",
        f"/app/owner/menu/items/{item}",
        f"/app/owner/nodes/{world.node_a}",
    ]
    for path in [*pages, "/app/registry/holders.csv"]:
        bounced = await anonymous.get(path)
        assert bounced.status_code == 303, path
        assert bounced.headers["location"].startswith("/app/signin?next=")
    for someone, words in (
        (customer, "needs one of the roles: owner"),
        (chef, "needs one of the roles: owner"),
        (compliance, "needs one of the roles: owner"),
        (franchisee, "needs one of the roles: owner"),
        (till, "a POS terminal may only record a sale"),
    ):
        for path in pages:
            assert_refused_in_words(await someone.get(path), 403, words)
    # A form sent with a right CSRF token by someone else is refused too, and writes nothing.
    name = f"Not yours {unique_email()}"
    token = csrf_of((await customer.get("/app/orders")).text)
    for action, fields in (
        ("/app/owner/menu/items", {"name": name, "price": "9.00"}),
        ("/app/owner/nodes", {"name": name, "city": "Kutaisi", "type": "OWNER"}),
        (f"/app/owner/menu/items/{item}/status", {"status": "RETIRED"}),
        ("/app/owner/pool/distribute", {}),
        ("/app/owner/pool/expire", {}),
    ):
        response = await customer.post(action, data={"csrf": token, **fields})
        assert_refused_in_words(response, 403, "needs one of the roles: owner")
    assert name not in {node["name"] for node in await all_nodes(world)}
    shown = ok(await world.client.get(f"/api/v1/menu/items/{item}"))
    assert shown["status"] == "ACTIVE"
    # The register: the owner and compliance download it, nobody else.
    csv = await compliance.get("/app/registry/holders.csv")
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    assert csv.text.splitlines()[0] == "holder,address,thp_units,spot_units,kyc_status,role"
    assert_refused_in_words(
        await customer.get("/app/registry/holders.csv"), 403, "needs one of the roles"
    )


async def test_the_owner_adds_edits_stocks_and_retires_a_dish(
    browser_factory: Browser, world: World
) -> None:
    owner = await owner_browser(browser_factory, world)
    name = f"Lamb hot pot {unique_email()[:8]}"
    made = await submit(
        owner,
        "/app/owner/menu",
        "/app/owner/menu/items",
        {
            "name": name,
            "description": "slow broth",
            "price": "24,5",
            "priority": "7",
            "cooking_minutes": "20",
            "ingredients": "lamb, 200, 450\nbroth, 300, 120\n",
        },
    )
    assert made.status_code == 303, made.text
    match = ITEM_LINK.fullmatch(made.headers["location"])
    assert match
    item = match.group(1)
    created = ok(await world.client.get(f"/api/v1/menu/items/{item}"))
    assert (created["name"], created["price_tetri"], created["status"]) == (name, 2450, "ACTIVE")
    assert created["total_kcal"] == 570 and created["cooking_minutes"] == 20
    assert created["priority"] == 7
    page = await owner.get(f"/app/owner/menu/items/{item}")
    assert 'value="24.50"' in page.text  # the price as the owner typed it, from integers
    assert "lamb, 200, 450" in page.text

    edited = await submit(
        owner,
        f"/app/owner/menu/items/{item}",
        f"/app/owner/menu/items/{item}",
        {"name": name, "price": "26.00", "ingredients": "lamb, 250, 560"},
    )
    assert edited.status_code == 303, edited.text
    changed = ok(await world.client.get(f"/api/v1/menu/items/{item}"))
    assert (changed["price_tetri"], changed["total_kcal"]) == (2600, 560)

    page_of_item = f"/app/owner/menu/items/{item}"
    action = f"/app/owner/menu/items/{item}/availability"
    stocked = await submit(owner, page_of_item, action, {"node_id": world.node_a, "portions": "7"})
    assert stocked.status_code == 303, stocked.text
    menu = ok(await world.client.get("/api/v1/menu", params={"node_id": world.node_a}))
    entry = next(i for i in menu["items"] if i["id"] == item)
    assert (entry["portions"], entry["sold_out"]) == (7, False)
    assert "data-portions>7<" in (await owner.get(page_of_item)).text
    sold_out = await submit(owner, page_of_item, action, {"node_id": world.node_a, "portions": "0"})
    assert sold_out.status_code == 303
    menu = ok(await world.client.get("/api/v1/menu", params={"node_id": world.node_a}))
    assert next(i for i in menu["items"] if i["id"] == item)["sold_out"] is True
    customer_menu = (await (await browser_factory()).get(f"/app/nodes/{world.node_a}/menu")).text
    dish = customer_menu[customer_menu.index(name) :]
    assert dish.index("Sold out") < dish.index("</li>")
    refused = await submit(owner, page_of_item, action, {"node_id": world.node_a, "portions": "-1"})
    assert_refused_in_words(refused, 422, "portions: a whole number")

    retired = await submit(owner, page_of_item, f"{page_of_item}/status", {"status": "RETIRED"})
    assert retired.status_code == 303
    assert (
        ok(await world.client.get(f"/api/v1/menu/items/{item}", headers=world.auth("owner")))[
            "status"
        ]
        == "RETIRED"
    )
    assert (await world.client.get(f"/api/v1/menu/items/{item}")).status_code == 404
    again = await submit(owner, page_of_item, f"{page_of_item}/status", {"status": "VOTING"})
    assert_refused_in_words(again, 409, "an item in RETIRED cannot be set to VOTING")
    back = await submit(owner, page_of_item, f"{page_of_item}/status", {"status": "ACTIVE"})
    assert back.status_code == 303
    assert ok(await world.client.get(f"/api/v1/menu/items/{item}"))["status"] == "ACTIVE"


async def test_a_bad_dish_is_refused_in_words_and_not_added(
    browser_factory: Browser, world: World
) -> None:
    owner = await owner_browser(browser_factory, world)
    name = f"Refused {unique_email()[:8]}"
    cases = (
        ({"price": "12.345"}, "price: an amount in GEL"),
        ({"price": "free"}, "price: an amount in GEL"),
        ({"price": "0"}, "price_tetri:"),
        ({"ingredients": "broth 300 120"}, "ingredient line 1: write it as name, grams, kcal"),
        ({"ingredients": "broth, lots, 120"}, "ingredient line 1, grams: a whole number"),
        ({"priority": "11"}, "priority:"),
        ({"name": ""}, "name:"),
    )
    for change, words in cases:
        fields = {"name": name, "price": "9.00", "ingredients": "", **change}
        response = await submit(owner, "/app/owner/menu", "/app/owner/menu/items", fields)
        assert_refused_in_words(response, 422, words)
        if change.get("name") != "":
            assert f'value="{name}"' in response.text  # what was typed is kept
    listed = ok(
        await world.client.get(
            "/api/v1/menu/items", params={"limit": 100}, headers=world.auth("owner")
        )
    )
    assert name not in {item["name"] for item in listed["items"]}


async def test_the_owner_adds_a_restaurant_and_whitelists_and_revokes_a_terminal(
    browser_factory: Browser, world: World
) -> None:
    owner = await owner_browser(browser_factory, world)
    franchisee = await world.staff("franchisee")
    name = f"Rustaveli {unique_email()[:8]}"
    made = await submit(
        owner,
        "/app/owner/nodes",
        "/app/owner/nodes",
        {
            "name": name,
            "city": "Tbilisi",
            "type": "FRANCHISE",
            "owner_account_id": franchisee["id"],
        },
    )
    assert made.status_code == 303, made.text
    match = NODE_LINK.fullmatch(made.headers["location"])
    assert match
    node_id = match.group(1)
    node = next(n for n in await all_nodes(world) if n["id"] == node_id)
    assert (node["name"], node["type"], node["owner_account_id"]) == (
        name,
        "FRANCHISE",
        franchisee["id"],
    )
    assert node["active"] is True
    node_page = f"/app/owner/nodes/{node_id}"

    added = await submit(owner, node_page, f"{node_page}/terminals", {"name": "Front till"})
    assert added.status_code == 200, added.text
    terminal_id = re.search(r"data-terminal-id>([0-9a-f-]{36})<", added.text)
    secret = re.search(r"data-secret>([^<]+)<", added.text)
    assert terminal_id and secret
    assert secret.group(1) not in (await owner.get(node_page)).text  # shown once only
    sign_in = {"terminal_id": terminal_id.group(1), "secret": secret.group(1)}
    before = await world.client.post("/api/v1/auth/terminal", json=sign_in)
    assert before.status_code == 403 and before.json()["code"] == "terminal_not_whitelisted"
    action = f"/app/owner/terminals/{terminal_id.group(1)}/whitelist"
    listed = await submit(owner, node_page, action, {"whitelisted": "true"})
    assert listed.status_code == 303 and listed.headers["location"] == node_page
    token = ok(await world.client.post("/api/v1/auth/terminal", json=sign_in))["access_token"]
    terminals = ok(
        await world.client.get(f"/api/v1/nodes/{node_id}/terminals", headers=world.auth("owner"))
    )
    assert [t["whitelisted"] for t in terminals["items"]] == [True]
    revoked = await submit(owner, node_page, action, {"whitelisted": "false"})
    assert revoked.status_code == 303
    # Revoked at once: the token it holds stops working on the till's routes.
    refused = await world.client.get(
        f"/api/v1/receipts/{terminal_id.group(1)}/print", headers=bearer(token)
    )
    assert refused.status_code == 403 and refused.json()["code"] == "terminal_not_whitelisted"

    closed = await submit(
        owner,
        node_page,
        node_page,
        {"name": name + " II", "city": "Tbilisi", "owner_account_id": ""},
    )
    assert closed.status_code == 303, closed.text
    node = next(n for n in await all_nodes(world) if n["id"] == node_id)
    assert (node["name"], node["active"], node["owner_account_id"]) == (name + " II", False, None)
    # A closed restaurant is off the customers' list.
    assert node_id not in (await (await browser_factory()).get("/app/")).text


async def test_a_bad_restaurant_is_refused_in_words(browser_factory: Browser, world: World) -> None:
    owner = await owner_browser(browser_factory, world)
    chef = await world.staff("chef", world.node_a)
    name = f"Refused {unique_email()[:8]}"
    cases = (
        ({"name": ""}, 422, "name:"),
        ({"type": "KIOSK"}, 422, "type: choose"),
        ({"type": "FRANCHISE", "owner_account_id": chef["id"]}, 422, "must name a franchisee"),
        (
            {"type": "FRANCHISE", "owner_account_id": "0" * 8 + "-0000-4000-8000-" + "0" * 12},
            404,
            "no account with this owner_account_id",
        ),
    )
    for change, status, words in cases:
        fields = {"name": name, "city": "Gori", "type": "OWNER", **change}
        response = await submit(owner, "/app/owner/nodes", "/app/owner/nodes", fields)
        assert_refused_in_words(response, status, words)
    assert name not in {node["name"] for node in await all_nodes(world)}
    node_page = f"/app/owner/nodes/{world.node_a}"
    empty = await submit(owner, node_page, f"{node_page}/terminals", {"name": ""})
    assert_refused_in_words(empty, 422, "name:")
    missing = await owner.get("/app/owner/nodes/7f0c1e9a-2b4d-4c55-9a8e-1234567890ab")
    assert_refused_in_words(missing, 404, "no node with this id")


async def test_the_owner_adds_staff_and_bad_accounts_are_refused(
    browser_factory: Browser, world: World
) -> None:
    owner = await owner_browser(browser_factory, world)
    email = unique_email("console-chef")
    made = await submit(
        owner,
        "/app/owner/staff",
        "/app/owner/staff",
        {
            "email": email,
            "name": "Nino",
            "password": PASSWORD,
            "role": "chef",
            "node_id": world.node_a,
        },
    )
    assert made.status_code == 303, made.text
    account = next(a for a in await staff_listed(world) if a["email"] == email)
    assert (account["role"], account["node_id"], account["name"]) == ("chef", world.node_a, "Nino")
    # The new chef signs in and lands on the kitchen.
    chef = await browser_factory()
    signed = await submit(
        chef, "/app/signin", "/app/signin", {"login": email, "password": PASSWORD}
    )
    assert signed.headers["location"] == "/app/kitchen"

    other = unique_email("console-refused")
    cases = (
        ({"email": email, "role": "compliance"}, 409, "an account with this email exists"),
        ({"email": other, "role": "cashier", "node_id": ""}, 422, "a cashier works at one"),
        ({"email": other, "role": "customer"}, 422, "role: choose one of the staff roles"),
        ({"email": other, "role": "owner", "password": "short"}, 422, "password:"),
        ({"email": "not-an-email", "role": "owner"}, 422, "email:"),
    )
    for change, status, words in cases:
        fields = {"password": PASSWORD, "node_id": "", **change}
        response = await submit(owner, "/app/owner/staff", "/app/owner/staff", fields)
        assert_refused_in_words(response, status, words)
        assert PASSWORD not in response.text  # a password is never sent back
    assert other not in {a["email"] for a in await staff_listed(world)}


async def test_console_forms_without_the_csrf_token_are_refused_and_write_nothing(
    browser_factory: Browser, world: World
) -> None:
    owner = await owner_browser(browser_factory, world)
    item = await world.item()
    await world.terminal(world.node_a, whitelist=False)
    terminal_id = list(world.terminal_secrets)[-1]
    name = f"Forged {unique_email()[:8]}"
    posts = (
        ("/app/owner/menu/items", {"name": name, "price": "9.00"}),
        (f"/app/owner/menu/items/{item}", {"name": name, "price": "9.00"}),
        (f"/app/owner/menu/items/{item}/status", {"status": "RETIRED"}),
        (f"/app/owner/menu/items/{item}/availability", {"node_id": world.node_a, "portions": "0"}),
        ("/app/owner/nodes", {"name": name, "city": "Gori", "type": "OWNER"}),
        (f"/app/owner/nodes/{world.node_a}", {"name": name, "city": "Gori"}),
        (f"/app/owner/nodes/{world.node_a}/terminals", {"name": name}),
        (f"/app/owner/terminals/{terminal_id}/whitelist", {"whitelisted": "true"}),
        ("/app/owner/staff", {"email": unique_email(), "password": PASSWORD, "role": "owner"}),
        ("/app/owner/pool/expire", {}),
        ("/app/owner/pool/distribute", {}),
    )
    for action, fields in posts:
        for csrf in ({}, {"csrf": "0" * 64}):
            response = await owner.post(action, data={**fields, **csrf})
            assert_refused_in_words(response, 403, "form has expired")
    shown = ok(await world.client.get(f"/api/v1/menu/items/{item}"))
    assert shown["name"] != name and shown["status"] == "ACTIVE"
    menu = ok(await world.client.get("/api/v1/menu", params={"node_id": world.node_a}))
    assert next(i for i in menu["items"] if i["id"] == item)["sold_out"] is False
    assert name not in {n["name"] for n in await all_nodes(world)}
    terminals = ok(
        await world.client.get(
            f"/api/v1/nodes/{world.node_a}/terminals",
            params={"limit": 100},
            headers=world.auth("owner"),
        )
    )
    assert name not in {t["name"] for t in terminals["items"]}
    assert next(t for t in terminals["items"] if t["id"] == terminal_id)["whitelisted"] is False


# --- the unclaimed pool, on a network of its own (its totals and periods are global) ---


@pytest.fixture(scope="module")
def pool_database(fresh_database: Any) -> str:
    return migrated_database(fresh_database)


@pytest.fixture(scope="module")
async def pool_network(
    pool_database: str, redis_url: str
) -> AsyncIterator[tuple[httpx.AsyncClient, World]]:
    """A browser and a network on a database of their own."""
    async with app_on(pool_database, redis_url) as (app, world):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as web:
            yield web, world


async def test_the_owner_expires_receipts_and_distributes_the_pool(
    pool_network: tuple[httpx.AsyncClient, World],
) -> None:
    owner, world = pool_network
    ctx = world.ctx
    owner_account = await world.staff("owner")
    signed = await submit(
        owner,
        "/app/signin",
        "/app/signin",
        {"login": owner_account["email"], "password": PASSWORD},
    )
    assert signed.headers["location"] == "/app/owner"
    # An empty pool: the service's refusal, in words, with its status.
    empty = await submit(owner, "/app/owner/pool", "/app/owner/pool/distribute", {})
    assert_refused_in_words(empty, 409, "the unclaimed pool is empty")
    assert "No receipt has expired." in empty.text

    item = await world.item(price=5_000, portions=20)
    unclaimed = [await sell(world, item) for _ in range(2)]
    for _ in range(2):  # two customers hold THP: the pool is theirs, within the 49 % cap
        _, customer = await world.customer()
        await claim(world, customer, await sell(world, item))
    # Their deadline passed (as 30 days would): the sweep on the page expires them.
    async with ctx.db.transaction() as conn:
        await conn.execute(
            update(receipts)
            .where(receipts.c.id.in_([sale["receipt_id"] for sale in unclaimed]))
            .values(expires_at=func.now() - timedelta(minutes=1))
        )
    swept = await submit(owner, "/app/owner/pool", "/app/owner/pool/expire", {})
    assert swept.status_code == 200, swept.text
    thp = sum(sale["thp_units"] for sale in unclaimed)
    assert 'data-swept="2"' in swept.text
    public = ok(await world.client.get("/api/v1/pool"))
    assert public["pool_thp_units"] == thp
    assert f"data-pool>{thp // 100}.{thp % 100:02d}<" in swept.text
    for sale in unclaimed:
        assert f'data-receipt="{sale["receipt_id"]}"' in swept.text
    behind = ok(await world.client.get("/api/v1/pool/receipts", headers=world.auth("owner")))
    assert {r["receipt_id"] for r in behind["items"]} == {s["receipt_id"] for s in unclaimed}

    paid = await submit(owner, "/app/owner/pool", "/app/owner/pool/distribute", {})
    assert paid.status_code == 200, paid.text
    distribution = re.search(r'data-distributed="([0-9a-f-]{36})"', paid.text)
    assert distribution
    listed = ok(await world.client.get("/api/v1/pool/distributions"))
    assert listed["items"][0]["id"] == distribution.group(1)
    assert listed["items"][0]["pool_units"] == thp
    assert ok(await world.client.get("/api/v1/pool"))["pool_thp_units"] == 0
    assert f'data-distribution="{distribution.group(1)}"' in paid.text
    # Not due again this period: refused in words, and nothing moves.
    again = await submit(owner, "/app/owner/pool", "/app/owner/pool/distribute", {})
    assert_refused_in_words(again, 409, "the pool was already distributed for period")
    assert len(ok(await world.client.get("/api/v1/pool/distributions"))["items"]) == 1

    csv = await owner.get("/app/registry/holders.csv")
    assert csv.status_code == 200
    assert any(line.startswith("owner,") for line in csv.text.splitlines()[1:])
    bad = await owner.get("/app/owner/pool", params={"cursor": "yesterday"})
    assert bad.status_code == 422
