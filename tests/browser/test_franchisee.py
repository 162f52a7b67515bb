"""The franchisee's journey in a real browser: a till records a sale, the franchisee signs
in, lands on their page and finds the sale, its totals and the THP it earned them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from playwright.async_api import expect

from tests.browser.conftest import DESKTOP, PHONE, Person
from tests.browser.test_journeys import sign_in, till_signed_in
from tests.franchises import new_franchise
from tests.support import World

pytestmark = pytest.mark.browser

MakePerson = Callable[..., Awaitable[Person]]


async def test_a_till_sale_shows_on_the_franchisee_s_page(
    person: MakePerson, live_world: World
) -> None:
    world = live_world
    franchise = await new_franchise(world, city="Kutaisi")
    item = await world.item(price=2_000, name="Chicken hot pot")
    await world.stock(franchise.node_id, item, 50)
    till = await till_signed_in(person, world, franchise.node_id, "franchise-till")
    await till.page.locator(f"#qty-{item}").fill("5")
    await till.page.get_by_role("button", name="Record sale").click()
    await expect(till.page.locator(".receipt .total")).to_have_text("100.00")
    receipt_id = await till.page.locator("[data-receipt-id]").inner_text()

    for name, viewport in (("franchisee-phone", PHONE), ("franchisee-desktop", DESKTOP)):
        franchisee = await person(name, viewport)
        await sign_in(franchisee, franchise.account["email"])
        # Signing in lands on their own page.
        await expect(franchisee.page.get_by_role("heading", name="My restaurants")).to_be_visible()
        assert franchisee.page.url.endswith("/app/franchisee")
        row = franchisee.page.locator(f'tr[data-receipt="{receipt_id}"]')
        await expect(row).to_be_visible()
        await expect(row.locator("td.num")).to_have_text("100.00")
        # 100.00 GEL at a franchise node: the franchisee's 2400 bp of 2 000 THP units.
        await expect(franchisee.page.locator(f'[data-earned="{franchise.node_id}"]')).to_have_text(
            "4.80"
        )
        await expect(franchisee.page.locator("[data-thp]")).to_have_text("4.80")
        await franchisee.shot(name)
        await franchisee.page.get_by_role("link", name="Kitchen display").click()
        await expect(franchisee.page.get_by_role("heading", name="Kitchen")).to_be_visible()
        assert franchisee.problems == []
    assert till.problems == []
