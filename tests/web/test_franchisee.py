"""The franchisee's page and the kitchen's one-query queue, in-process like test_pages."""

from __future__ import annotations

import re
from typing import Any

import httpx
from sqlalchemy import event

from hotpot.context import AppContext
from hotpot.web.templating import CONTENT_SECURITY_POLICY
from tests.franchises import Franchise, new_franchise, till_sale
from tests.support import PASSWORD, World, bearer, ok
from tests.web.conftest import Browser, csrf_of, submit, terminal_browser
from tests.web.test_pages import assert_no_inline_code

ORDER_CARD = re.compile(r'data-order="([0-9a-f-]{36})"')


async def franchisee_browser(make: Browser, franchise: Franchise) -> httpx.AsyncClient:
    browser = await make()
    signed = await submit(
        browser,
        "/app/signin",
        "/app/signin",
        {"login": franchise.account["email"], "password": PASSWORD},
    )
    # A franchisee lands on their own page.
    assert signed.status_code == 303, signed.text
    assert signed.headers["location"] == "/app/franchisee"
    return browser


async def test_the_page_shows_a_till_sale_and_the_tokens_the_wallet_holds(
    browser_factory: Browser, world: World, client: httpx.AsyncClient
) -> None:
    franchise = await new_franchise(world)
    item = await world.item(price=2_500)
    await world.stock(franchise.node_id, item, 50)
    # A sale at the node's till, through the till's own page: 4 x 25.00 = 100.00 GEL.
    till = await terminal_browser(browser_factory, world, franchise.node_id)
    shown = await till.get("/app/till")
    sale_id = re.search(r'name="terminal_sale_id" value="([^"]+)"', shown.text)
    assert sale_id
    receipt = await till.post(
        "/app/till/sales",
        data={
            "csrf": csrf_of(shown.text),
            "terminal_sale_id": sale_id.group(1),
            f"qty-{item}": "4",
        },
    )
    assert receipt.status_code == 200, receipt.text
    receipt_id = re.search(r"data-receipt-id>([0-9a-f-]{36})<", receipt.text)
    assert receipt_id

    browser = await franchisee_browser(browser_factory, franchise)
    page = await browser.get("/app/franchisee")
    assert page.status_code == 200, page.text
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert_no_inline_code(page.text)
    html = page.text
    assert f'data-receipt="{receipt_id.group(1)}"' in html
    row = re.search(rf'data-receipt="{receipt_id.group(1)}">(.*?)</tr>', html, flags=re.S)
    assert row and '<td class="num">100.00</td>' in row.group(1)
    assert f'data-purchases="{franchise.node_id}">1<' in html
    assert f'data-volume="{franchise.node_id}">100.00<' in html
    # 100.00 GEL at a franchise node: 2 000 THP units, the franchisee's 2400 bp = 480.
    assert f'data-earned="{franchise.node_id}">4.80<' in html
    wallet = ok(await client.get("/api/v1/wallets/me", headers=franchise.auth))
    assert wallet["thp_units"] == 480
    assert "data-thp>4.80<" in html
    assert f'href="/app/kitchen?node={franchise.node_id}"' in html
    # The node's own sales page lists it too.
    listing = await browser.get(f"/app/franchisee/nodes/{franchise.node_id}")
    assert listing.status_code == 200
    assert f'data-receipt="{receipt_id.group(1)}"' in listing.text
    assert_no_inline_code(listing.text)


async def test_the_node_s_sales_page_goes_back_a_page_at_a_time(
    browser_factory: Browser, world: World
) -> None:
    franchise = await new_franchise(world)
    item = await world.item(price=1_000)
    await world.stock(franchise.node_id, item, 100)
    sold = [(await till_sale(world, franchise, item))["receipt_id"] for _ in range(51)]
    browser = await franchisee_browser(browser_factory, franchise)
    first = await browser.get(f"/app/franchisee/nodes/{franchise.node_id}")
    assert first.status_code == 200
    assert f'data-receipt="{sold[0]}"' not in first.text  # the oldest is on the next page
    assert f'data-receipt="{sold[-1]}"' in first.text
    older = re.search(r'href="(/app/franchisee/nodes/[^"?]+\?cursor=[^"]+)"', first.text)
    assert older
    second = await browser.get(older.group(1))
    assert second.status_code == 200
    assert re.findall(r'data-receipt="([^"]+)"', second.text) == [sold[0]]
    assert "?cursor=" not in second.text


async def test_other_people_are_refused_in_words(
    browser_factory: Browser, world: World, client: httpx.AsyncClient
) -> None:
    mine = await new_franchise(world)
    theirs = await new_franchise(world, city="Batumi")
    browser = await franchisee_browser(browser_factory, mine)
    refused = await browser.get(f"/app/franchisee/nodes/{theirs.node_id}")
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
    assert "only the network owner or this node&#39;s franchisee may" in refused.text
    assert 'role="alert"' in refused.text
    # Their restaurant is not on my page.
    page = await browser.get("/app/franchisee")
    assert f'data-node="{mine.node_id}"' in page.text
    assert theirs.node_id not in page.text
    anonymous = await browser_factory()
    for path in ("/app/franchisee", f"/app/franchisee/nodes/{mine.node_id}"):
        bounced = await anonymous.get(path)
        assert bounced.status_code == 303, path
        assert bounced.headers["location"].startswith("/app/signin?next=/app/franchisee")
    chef = await world.staff("chef", mine.node_id)
    chef_browser = await browser_factory()
    signed = await submit(
        chef_browser, "/app/signin", "/app/signin", {"login": chef["email"], "password": PASSWORD}
    )
    assert signed.status_code == 303
    for path in ("/app/franchisee", f"/app/franchisee/nodes/{mine.node_id}"):
        response = await chef_browser.get(path)
        assert response.status_code == 403, path
        assert 'role="alert"' in response.text
    bad = await browser.get(f"/app/franchisee/nodes/{mine.node_id}?cursor=yesterday")
    assert bad.status_code == 422


async def test_the_kitchen_shows_every_open_state_oldest_first_from_one_query(
    browser_factory: Browser, world: World, ctx: AppContext
) -> None:
    franchise = await new_franchise(world)
    item = await world.item(price=900)
    await world.stock(franchise.node_id, item, 100)
    _, customer = await world.customer()
    placed = [(await world.order(customer, franchise.node_id, item))["id"] for _ in range(8)]
    moves: dict[str, tuple[str, ...]] = {
        placed[0]: ("CONFIRMED", "IN_PROGRESS", "READY"),
        placed[1]: ("CONFIRMED",),
        placed[2]: ("CONFIRMED", "IN_PROGRESS"),
        placed[3]: ("CONFIRMED", "IN_PROGRESS", "READY"),
        placed[4]: ("CONFIRMED",),
        placed[5]: ("CONFIRMED", "IN_PROGRESS", "READY", "COMPLETED"),
        placed[6]: ("CANCELLED",),
    }
    for order_id, statuses in moves.items():
        for status in statuses:
            ok(
                await world.client.post(
                    f"/api/v1/orders/{order_id}/transitions",
                    json={"status": status},
                    headers=bearer(franchise.token),
                )
            )
    browser = await franchisee_browser(browser_factory, franchise)
    statements: list[str] = []
    engine = ctx.db.primary.sync_engine

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        queue = await browser.get(f"/app/kitchen/queue?node={franchise.node_id}")
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    assert queue.status_code == 200, queue.text
    # One read of the orders for all four columns (their lines are one more).
    assert len([s for s in statements if re.search(r"\bFROM orders\b", s)]) == 1, statements
    columns = {
        status: ORDER_CARD.findall(body)
        for status, body in re.findall(
            r'<section class="column" aria-labelledby="col-([A-Z_]+)">(.*?)</section>',
            queue.text,
            flags=re.S,
        )
    }
    assert columns == {
        "PENDING": [placed[7]],
        "CONFIRMED": [placed[1], placed[4]],
        "IN_PROGRESS": [placed[2]],
        "READY": [placed[0], placed[3]],
    }
    page = await browser.get(f"/app/kitchen?node={franchise.node_id}")
    assert page.status_code == 200
    assert ORDER_CARD.findall(page.text) == [
        placed[7],
        placed[1],
        placed[4],
        placed[2],
        placed[0],
        placed[3],
    ]
