"""Journey in a real browser: compliance signs in and verifies two customers from the KYC
queue, one sends THP to the other, and both wallets show the new balances; then anyone
reads the transparency page and verifies the order from its box."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from playwright.async_api import expect

from tests.browser.conftest import DESKTOP, PHONE, Person
from tests.browser.test_journeys import sign_in
from tests.support import World

pytestmark = pytest.mark.browser

MakePerson = Callable[..., Awaitable[Person]]


async def verify_from_queue(officer: Person, customer_id: str) -> None:
    """Find the customer's card in the queue (page by page, oldest first) and verify them."""
    await officer.go("/app/compliance")
    card = officer.page.locator(f'li[data-customer="{customer_id}"]')
    while not await card.count():
        await officer.page.get_by_role("link", name="Next page").click()
    await card.get_by_role("button", name="Verify").click()
    notice = officer.page.locator(f'[data-done="{customer_id}"]')
    await expect(notice).to_contain_text("VERIFIED")


async def test_compliance_verifies_two_customers_who_then_transfer_thp(
    person: MakePerson, live_world: World
) -> None:
    world = live_world
    sender_account, sender_token = await world.customer()
    receiver_account, _ = await world.customer()
    item = await world.item(price=2000, name="Lamb hot pot")
    order = await world.order(sender_token, world.node_a, item)
    await world.complete(order["id"])  # 20.00 GEL at an owner node: 1.96 THP to the buyer
    # A large order by someone else keeps the 49 % cap far from this transfer.
    _, bystander = await world.customer()
    await world.complete((await world.order(bystander, world.node_a, item, quantity=10))["id"])

    officer_account = await world.staff("compliance")
    officer = await person("compliance", DESKTOP)
    await sign_in(officer, officer_account["email"])
    await expect(officer.page.get_by_role("heading", name="KYC queue")).to_be_visible()
    await officer.shot("compliance-desktop")
    for account in (sender_account, receiver_account):
        await verify_from_queue(officer, account["id"])
    officer_phone = await person("compliance-phone", PHONE)
    await sign_in(officer_phone, officer_account["email"])
    await expect(officer_phone.page.get_by_role("heading", name="KYC queue")).to_be_visible()
    await officer_phone.shot("compliance-phone")

    receiver = await person("receiver")
    await sign_in(receiver, receiver_account["email"])
    await receiver.go("/app/wallet")
    await expect(receiver.page.locator("[data-thp]")).to_have_text("0.00")
    address = await receiver.page.locator("[data-address]").inner_text()
    assert address == receiver_account["wallet_address"]

    sender = await person("sender")
    await sign_in(sender, sender_account["email"])
    await sender.go("/app/wallet")
    await expect(sender.page.locator("[data-thp]")).to_have_text("1.96")
    await sender.page.get_by_label("Recipient's address (0x…)").fill(address)
    await sender.page.get_by_label("Amount in THP (up to two decimals)").fill("1.50")
    await sender.shot("wallet-transfer-phone")
    await sender.page.get_by_role("button", name="Send").click()
    await expect(sender.page.get_by_text("Transfer done.")).to_be_visible()
    await expect(sender.page.locator("[data-thp]")).to_have_text("0.46")
    await sender.shot("wallet-sent-phone")
    await receiver.page.reload()
    await expect(receiver.page.locator("[data-thp]")).to_have_text("1.50")

    for viewport, suffix in ((PHONE, "phone"), (DESKTOP, "desktop")):
        anyone = await person(f"public-{suffix}", viewport)
        await anyone.go("/")
        await anyone.page.get_by_role("link", name="Transparency: supply, sales, charity").click()
        await expect(anyone.page.get_by_role("heading", name="Transparency")).to_be_visible()
        await expect(anyone.page.locator('[data-figure="thp_supply_units"]')).not_to_have_text(
            "0.00"
        )
        await anyone.shot(f"transparency-{suffix}")
        await anyone.page.get_by_label("Order id, or the receipt id printed on the slip").fill(
            order["id"]
        )
        await anyone.page.get_by_role("button", name="Verify", exact=True).click()
        await expect(anyone.page.get_by_role("heading", name="Verify an order")).to_be_visible()
        # The live server settles nothing on its own here: the order is still pending.
        await expect(anyone.page.locator('[data-state="missing"]')).to_contain_text("pending")
        await anyone.shot(f"verify-{suffix}")
        assert anyone.problems == []
    for someone in (officer, officer_phone, receiver, sender):
        assert someone.problems == [], someone.problems
