"""Journeys in a real browser: a customer orders and watches the kitchen move the order;
a till records a sale and prints, the customer claims the receipt from its link."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable

import pytest
from playwright.async_api import expect

from tests.browser.conftest import DESKTOP, PHONE, Person
from tests.support import PASSWORD, World, unique_email

pytestmark = pytest.mark.browser

MakePerson = Callable[..., Awaitable[Person]]


async def sign_up(customer: Person) -> None:
    await customer.go("/app/signup")
    await customer.page.get_by_label("Email or phone").fill(unique_email("web"))
    await customer.page.get_by_label("Password (at least 10 characters)").fill(PASSWORD)
    await customer.page.get_by_role("button", name="Create account").click()
    await expect(customer.page.get_by_role("heading", name="Choose a restaurant")).to_be_visible()


async def sign_in(someone: Person, email: str) -> None:
    await someone.go("/app/signin")
    await someone.page.get_by_label("Email or phone").fill(email)
    await someone.page.get_by_label("Password").fill(PASSWORD)
    await someone.page.get_by_role("button", name="Sign in").click()


async def till_signed_in(person: MakePerson, world: World, node_id: str, name: str) -> Person:
    """A new whitelisted terminal of the node, signed in on the till's page (1280 px)."""
    await world.terminal(node_id)
    terminal_id, (_, secret) = list(world.terminal_secrets.items())[-1]
    till = await person(name, DESKTOP)
    await till.go("/app/till/signin")
    await till.page.get_by_label("Terminal id").fill(terminal_id)
    await till.page.get_by_label("Terminal secret").fill(secret)
    await till.page.get_by_role("button", name="Sign in").click()
    return till


async def test_customer_orders_and_sees_the_kitchen_move_it(
    person: MakePerson, live_world: World
) -> None:
    world = live_world
    item = await world.item(price=2450, name="Beef hot pot")
    customer = await person("customer")
    await sign_up(customer)
    await customer.shot("restaurants-phone")
    await customer.page.locator(f'a[href="/app/nodes/{world.node_a}/menu"]').click()
    await expect(customer.page.get_by_text("24.50 GEL")).to_be_visible()
    await customer.page.locator(f"#qty-{item}").fill("2")
    await customer.shot("menu-phone")
    await customer.page.get_by_role("button", name="Review order").click()
    await expect(customer.page.locator(".lines .total")).to_have_text("49.00")
    await customer.shot("cart-phone")
    await customer.page.get_by_role("button", name="Place order").click()
    status = customer.page.locator("#order-status .state")
    await expect(status).to_have_attribute("data-status", "PENDING")
    order_id = customer.page.url.rsplit("/", 1)[1]
    await customer.shot("order-pending-phone")

    chef_account = await world.staff("chef", world.node_a)
    chef = await person("chef", DESKTOP)
    await sign_in(chef, chef_account["email"])
    await expect(chef.page.get_by_role("heading", name=re.compile("Kitchen"))).to_be_visible()
    ticket = chef.page.locator(f'article[data-order="{order_id}"]')
    await expect(ticket).to_be_visible(timeout=2000)
    await chef.shot("kitchen-desktop")
    for button, state in (
        ("Confirm", "CONFIRMED"),
        ("Start cooking", "IN_PROGRESS"),
        ("Ready", "READY"),
        ("Handed over", "COMPLETED"),
    ):
        await (
            chef.page.locator(f'article[data-order="{order_id}"]')
            .get_by_role("button", name=button)
            .click()
        )
        moved = time.monotonic()
        # The customer's page was never reloaded: htmx polls the status.
        await expect(status).to_have_attribute("data-status", state, timeout=2000)
        assert time.monotonic() - moved < 2.0
    await customer.shot("order-completed-phone")
    # A new order, placed elsewhere, appears on the open display without a reload.
    _, other_token = await world.customer()
    placed = await world.order(other_token, world.node_a, item)
    appeared = time.monotonic()
    await expect(chef.page.locator(f'article[data-order="{placed["id"]}"]')).to_be_visible(
        timeout=2000
    )
    assert time.monotonic() - appeared < 2.0
    # 49.00 GEL at an owner node: 980 THP units, the buyer's share 481; SPOT 490 units.
    await customer.page.get_by_role("link", name="wallet", exact=True).click()
    await expect(customer.page.locator("[data-thp]")).to_have_text("4.81")
    await expect(customer.page.locator("[data-spot]")).to_have_text("4.90")
    await customer.shot("wallet-phone")
    kitchen_phone = await person("chef-phone", PHONE)
    await sign_in(kitchen_phone, chef_account["email"])
    await kitchen_phone.shot("kitchen-phone")
    for someone in (customer, chef, kitchen_phone):
        assert not [p for p in someone.problems if "Content Security Policy" in p], someone.problems
        assert someone.problems == []


async def test_till_sale_is_printed_and_claimed_from_its_link(
    person: MakePerson, live_world: World
) -> None:
    world = live_world
    item = await world.item(price=1800, name="Khinkali hot pot")
    till = await till_signed_in(person, world, world.node_a, "till")
    await till.page.locator(f"#qty-{item}").fill("3")
    await till.shot("till-desktop")
    await till.page.get_by_role("button", name="Record sale").click()
    receipt_id = await till.page.locator("[data-receipt-id]").inner_text()
    code = await till.page.locator("[data-code]").inner_text()
    await expect(till.page.locator(".receipt .total")).to_have_text("54.00")
    await till.page.wait_for_load_state("load")
    qr_width = await till.page.locator("img.qr").evaluate("img => img.naturalWidth")
    assert qr_width > 0  # the QR image (cookie-authenticated) loaded
    await till.shot("receipt-desktop")
    await till.page.emulate_media(media="print")
    await till.page.set_viewport_size({"width": 302, "height": 900})  # 80 mm at 96 dpi
    await till.shot("receipt-print")

    customer = await person("claimer")
    await sign_up(customer)
    # The QR's link, as printed: PUBLIC_BASE_URL/claim?receipt=...
    await customer.go(f"/claim?receipt={receipt_id}")
    await expect(customer.page.get_by_label("Receipt id")).to_have_value(receipt_id)
    await customer.page.get_by_label("Activation code (printed on the receipt)").fill(code)
    await customer.shot("claim-phone")
    await customer.page.get_by_role("button", name="Claim").click()
    await expect(customer.page.get_by_text("Claimed!")).to_be_visible()
    await customer.shot("claimed-phone")
    await customer.page.get_by_role("link", name="Open my wallet").click()
    await expect(customer.page.locator("[data-thp]")).to_have_text("5.30")
    for someone in (till, customer):
        assert someone.problems == []
