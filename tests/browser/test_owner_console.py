"""The owner console in a real browser: the owner adds a dish, marks it sold out at a
restaurant, and the customer's menu there shows it sold out; every console page fits a
360 px screen and a 1280 px one (their screenshots and axe: tests/browser/test_accessibility.py,
through the pages' matrix)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import pytest
from playwright.async_api import expect

from tests.browser.conftest import DESKTOP, PHONE, Person
from tests.browser.test_journeys import sign_in
from tests.support import World

pytestmark = pytest.mark.browser

MakePerson = Callable[..., Awaitable[Person]]


# Every page of the console (the pages' matrix screenshots each and runs axe on it).
def console_pages(world: World, item: str) -> list[str]:
    return [
        "/app/owner",
        "/app/owner/menu",
        f"/app/owner/menu/items/{item}",
        "/app/owner/nodes",
        f"/app/owner/nodes/{world.node_a}",
        "/app/owner/staff",
        "/app/owner/pool",
    ]


async def test_owner_adds_a_dish_and_marks_it_sold_out_where_customers_see_it(
    person: MakePerson, live_world: World
) -> None:
    world = live_world
    account = await world.staff("owner")
    owner = await person("owner", DESKTOP)
    await sign_in(owner, account["email"])
    await expect(owner.page.get_by_role("heading", name="Owner console")).to_be_visible()
    await owner.page.locator('.sections a[href="/app/owner/menu"]').click()
    name = f"Tkemali hot pot {uuid.uuid4().hex[:4]}"
    await owner.page.get_by_label("Name", exact=True).fill(name)
    await owner.page.get_by_label("Price (GEL)").fill("19.80")
    await owner.page.get_by_label("Ingredients").fill("beef, 220, 480\nplum sauce, 40, 60")
    await owner.page.get_by_role("button", name="Add the dish").click()
    await expect(owner.page.get_by_role("heading", name=name)).to_be_visible()
    item = owner.page.url.rsplit("/", 1)[1]
    # Within node A's row: other suites of the same session may have named a node "A" too.
    row = owner.page.locator(f'li[data-node="{world.node_a}"]')
    await row.get_by_label("Portions at A", exact=True).fill("6")
    await row.get_by_role("button", name="Set").click()
    await expect(row.locator("[data-portions]")).to_have_text("6")

    customer = await person("customer", PHONE)
    await customer.go(f"/app/nodes/{world.node_a}/menu")
    dish = customer.page.locator("li.dish", has_text=name)
    await expect(dish.get_by_text("19.80 GEL")).to_be_visible()
    await expect(dish.get_by_label("How many")).to_be_visible()

    row = owner.page.locator(f'li[data-node="{world.node_a}"]')
    await row.get_by_role("button", name="Mark sold out at A").click()
    await expect(owner.page.locator(f'li[data-node="{world.node_a}"] .badge')).to_have_text(
        "Sold out"
    )
    await customer.page.reload()
    await expect(dish.locator(".badge")).to_have_text("Sold out")
    await expect(dish.get_by_label("How many")).to_have_count(0)
    await customer.shot("owner-sold-out-menu-phone")

    phone = await person("owner-phone", PHONE)
    await sign_in(phone, account["email"])
    await expect(phone.page.get_by_role("heading", name="Owner console")).to_be_visible()
    for path in console_pages(world, item):
        for someone in (phone, owner):
            await someone.go(path)
            await expect(someone.page.locator("h1")).to_be_visible()
            # Readable at 360 px: nothing but the tables' own scroller is wider than the screen.
            overflow = await someone.page.evaluate(
                "() => document.documentElement.scrollWidth - window.innerWidth"
            )
            assert overflow <= 0, (path, someone.name, overflow)
    for someone in (owner, phone, customer):
        assert someone.problems == []
