"""Compliance's KYC queue, a THP transfer from the wallet, and the public transparency and
verify pages, against the real app (in-process, a cookie jar per browser)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx

from hotpot.web.templating import CONTENT_SECURITY_POLICY, units
from tests.support import PASSWORD, World, bearer, ok
from tests.web.conftest import Browser, csrf_of, signed_in, submit
from tests.web.test_pages import assert_no_inline_code

QUEUED = re.compile(r'data-customer="([0-9a-f-]{36})"')
NEXT = re.compile(r'href="([^"]+)" rel="next"')


async def compliance_browser(make: Browser, world: World) -> httpx.AsyncClient:
    officer = await world.staff("compliance")
    return await signed_in(make, officer["email"])


async def set_kyc(world: World, account_id: str, status: str) -> None:
    response = await world.client.put(
        f"/api/v1/customers/{account_id}/kyc",
        json={"status": status},
        headers=world.auth("compliance"),
    )
    assert response.status_code == 204, response.text


async def kyc_of(world: World, token: str) -> str:
    return str(
        ok(await world.client.get("/api/v1/wallets/me", headers=bearer(token)))["kyc_status"]
    )


async def queued(browser: httpx.AsyncClient, path: str) -> list[str]:
    """Every customer id the queue shows, following its "Next page" links to the end."""
    seen: list[str] = []
    while True:
        shown = await browser.get(path)
        assert shown.status_code == 200, shown.text
        seen += QUEUED.findall(shown.text)
        following = NEXT.search(shown.text)
        if following is None:
            return seen
        path = following.group(1).replace("&amp;", "&")


async def test_compliance_lands_on_the_queue_which_lists_waiting_customers_only(
    browser_factory: Browser, world: World
) -> None:
    browser = await compliance_browser(browser_factory, world)
    pending, _ = await world.customer()
    verified, _ = await world.customer()
    fresh, _ = await world.customer()
    await set_kyc(world, pending["id"], "PENDING")
    await set_kyc(world, verified["id"], "VERIFIED")
    waiting = await queued(browser, "/app/compliance")
    assert len(waiting) == len(set(waiting))
    assert pending["id"] in waiting and fresh["id"] in waiting
    assert verified["id"] not in waiting
    only_pending = await queued(browser, "/app/compliance?status=PENDING")
    assert pending["id"] in only_pending and fresh["id"] not in only_pending
    # A status the queue does not hold is refused in words.
    wrong = await browser.get("/app/compliance?status=VERIFIED")
    assert wrong.status_code == 422
    assert "PENDING and NOT_STARTED" in wrong.text


async def test_signing_in_as_compliance_opens_the_queue(
    browser_factory: Browser, world: World
) -> None:
    officer = await world.staff("compliance")
    browser = await browser_factory()
    landed = await submit(
        browser, "/app/signin", "/app/signin", {"login": officer["email"], "password": PASSWORD}
    )
    assert landed.status_code == 303
    assert landed.headers["location"] == "/app/compliance"
    page = await browser.get("/app/compliance")
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert_no_inline_code(page.text)
    assert 'href="/app/compliance">KYC queue</a>' in page.text


async def test_compliance_sets_a_status_from_the_queue(
    browser_factory: Browser, world: World
) -> None:
    browser = await compliance_browser(browser_factory, world)
    customer, token = await world.customer()
    await set_kyc(world, customer["id"], "PENDING")
    decided = await submit(
        browser,
        "/app/compliance?status=PENDING",
        "/app/compliance/kyc",
        {"customer": customer["id"], "status": "VERIFIED", "status_filter": "PENDING"},
    )
    assert decided.status_code == 303, decided.text
    back = decided.headers["location"]
    assert back.startswith("/app/compliance?") and "status=PENDING" in back
    assert await kyc_of(world, token) == "VERIFIED"
    shown = await browser.get(back)
    assert f'data-done="{customer["id"]}"' in shown.text and "VERIFIED" in shown.text
    assert customer["id"] not in QUEUED.findall(shown.text)
    # A notice is shown only for a well-formed decision (no text planted through a link).
    planted = await browser.get("/app/compliance?done=anyone+you+like&to=VERIFIED")
    assert "data-done" not in planted.text
    # The form by id sets any status, even of a customer who is not waiting.
    again = await submit(
        browser,
        "/app/compliance",
        "/app/compliance/kyc",
        {"customer": customer["id"], "status": "REJECTED"},
    )
    assert again.status_code == 303
    assert await kyc_of(world, token) == "REJECTED"
    # Bad input is refused in words and writes nothing.
    for fields, status, words in (
        ({"customer": customer["id"], "status": "APPROVED"}, 422, "status"),
        ({"customer": "not-an-id", "status": "VERIFIED"}, 404, "no customer"),
        ({"customer": str(uuid.uuid4()), "status": "VERIFIED"}, 404, "no customer"),
    ):
        refused = await submit(browser, "/app/compliance", "/app/compliance/kyc", fields)
        assert refused.status_code == status, (fields, refused.text)
        assert words in refused.text and "Traceback" not in refused.text
    assert await kyc_of(world, token) == "REJECTED"


async def test_only_compliance_may_see_the_queue_or_set_a_status(
    browser_factory: Browser, world: World
) -> None:
    customer, token = await world.customer()
    someone, _ = await world.customer()
    others = [
        await signed_in(browser_factory, someone["email"]),
        await signed_in(browser_factory, (await world.staff("chef", world.node_a))["email"]),
        await signed_in(browser_factory, (await world.staff("owner"))["email"]),
    ]
    for browser in others:
        page = await browser.get("/app/compliance")
        assert page.status_code == 403
        assert "needs one of the roles: compliance" in page.text
        refused = await submit(
            browser,
            "/app/",
            "/app/compliance/kyc",
            {"customer": customer["id"], "status": "VERIFIED"},
        )
        assert refused.status_code == 403
        assert "needs one of the roles: compliance" in refused.text
    anonymous = await browser_factory()
    bounced = await anonymous.get("/app/compliance")
    assert bounced.status_code == 303
    assert bounced.headers["location"] == "/app/signin?next=/app/compliance"
    posted = await submit(
        anonymous,
        "/app/signin",
        "/app/compliance/kyc",
        {"customer": customer["id"], "status": "VERIFIED"},
    )
    assert posted.status_code == 401
    assert await kyc_of(world, token) == "NOT_STARTED"


async def test_without_the_csrf_token_nothing_is_written(
    browser_factory: Browser, world: World
) -> None:
    compliance = await compliance_browser(browser_factory, world)
    customer, token = await world.customer()
    fields = {"customer": customer["id"], "status": "VERIFIED"}
    for sent in (fields, {**fields, "csrf": "0" * 64}):
        refused = await compliance.post("/app/compliance/kyc", data=sent)
        assert refused.status_code == 403
        assert "form has expired" in refused.text
    assert await kyc_of(world, token) == "NOT_STARTED"
    sender = await signed_in(browser_factory, customer["email"])
    transfer = {"recipient": "0x" + "11" * 20, "amount": "1.00", "idempotency_key": "k-csrf"}
    refused = await sender.post("/app/wallet/transfer", data=transfer)
    assert refused.status_code == 403
    history = ok(await world.client.get("/api/v1/wallets/me/history", headers=bearer(token)))
    assert history["items"] == []


async def _earn(world: World, token: str, price: int = 2000) -> None:
    """A completed 20.00 GEL order at the owner node: 1.96 THP to the buyer."""
    item = await world.item(price=price)
    order = await world.order(token, world.node_a, item)
    await world.complete(order["id"])


def _wallet_form(html: str) -> dict[str, str]:
    key = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    assert key, "the wallet has no transfer form"
    return {"csrf": csrf_of(html), "idempotency_key": key.group(1)}


def _thp(html: str) -> str:
    found = re.search(r"data-thp>([^<]+)<", html)
    assert found
    return found.group(1)


async def test_a_double_submitted_transfer_moves_thp_once(
    browser_factory: Browser, world: World
) -> None:
    sender, sender_token = await world.customer()
    receiver, _ = await world.customer()
    await _earn(world, sender_token)
    # Someone else's large order too: the 49 % cap stays far away from this transfer.
    await _earn(world, (await world.customer())[1], price=20_000)
    browser = await signed_in(browser_factory, sender["email"])
    shown = await browser.get("/app/wallet")
    assert _thp(shown.text) == "1.96"
    fields = {"recipient": receiver["wallet_address"], "amount": "1.5"}
    # Not verified yet: the service's refusal, in words, and nothing moves.
    refused = await browser.post(
        "/app/wallet/transfer", data={**_wallet_form(shown.text), **fields}
    )
    assert refused.status_code == 409
    assert "the sender is not KYC-verified" in refused.text
    assert _thp(refused.text) == "1.96"
    assert f'value="{receiver["wallet_address"]}"' in refused.text  # the form keeps what was typed
    await set_kyc(world, sender["id"], "VERIFIED")
    await set_kyc(world, receiver["id"], "VERIFIED")
    for changed, words in (
        ({"amount": "1.234"}, "at most two decimals"),
        ({"amount": "-1"}, "at most two decimals"),
        ({"amount": "0.00"}, "send more than 0 THP"),
        ({"recipient": "0x12"}, "0x followed by 40 hexadecimal digits"),
    ):
        bad = await browser.post(
            "/app/wallet/transfer", data={**_wallet_form(refused.text), **fields, **changed}
        )
        assert bad.status_code == 422 and words in bad.text, (changed, bad.text[-600:])
    too_much = await browser.post(
        "/app/wallet/transfer", data={**_wallet_form(refused.text), **fields, "amount": "2"}
    )
    assert too_much.status_code == 409 and "not enough THP" in too_much.text
    form = {**_wallet_form(too_much.text), **fields}
    first = await browser.post("/app/wallet/transfer", data=form)
    second = await browser.post("/app/wallet/transfer", data=form)
    assert first.status_code == second.status_code == 303, first.text
    assert first.headers["location"] == second.headers["location"]
    done = await browser.get(first.headers["location"])
    assert "Transfer done." in done.text
    assert _thp(done.text) == "0.46"  # 1.96 - 1.50, once
    received = await signed_in(browser_factory, receiver["email"])
    assert _thp((await received.get("/app/wallet")).text) == "1.50"
    # Staff hold no transfer form and may not post one.
    chef = await signed_in(browser_factory, (await world.staff("chef", world.node_a))["email"])
    posted = await submit(chef, "/app/", "/app/wallet/transfer", fields)
    assert posted.status_code == 403 and "only customers transfer THP" in posted.text


async def test_the_transparency_page_shows_the_apis_figures(
    browser_factory: Browser, world: World
) -> None:
    _, token = await world.customer()
    await _earn(world, token, price=3000)
    anonymous = await browser_factory()
    shown = await anonymous.get("/app/transparency")
    figures: dict[str, Any] = ok(await world.client.get("/api/v1/transparency"))
    assert shown.status_code == 200
    assert shown.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert_no_inline_code(shown.text)
    for name in (
        "thp_supply_units",
        "spot_supply_units",
        "charity_thp_units",
        "unclaimed_pool_thp_units",
        "custody_thp_units",
    ):
        assert f'data-figure="{name}">{units(figures[name])}<' in shown.text, name
    assert figures["thp_supply_units"] > 0
    for node in figures["sales_by_node"]:
        row = re.search(rf'data-node="{node["node_id"]}">(.*?)</tr>', shown.text)
        assert row, node
        assert f"data-sales>{node['sales_count']}<" in row.group(1)
    if not figures["cap_breaches"]:
        assert "(owner ≤ 48 %, franchisees ≤ 24 %" in shown.text
    share = figures["ownership_share_bps"]["owner"]
    assert f'data-share="owner">{units(share)} %<' in shown.text
    # The contracts, or why they cannot be shown; and the verify box.
    assert "data-contract=" in shown.text or "data-no-contracts" in shown.text
    assert 'action="/app/verify"' in shown.text
    landing = await anonymous.get("/")
    assert 'href="/app/transparency"' in landing.text and 'href="/app/verify"' in landing.text


async def test_verify_says_an_order_not_yet_settled_is_pending(
    browser_factory: Browser, world: World
) -> None:
    _, token = await world.customer()
    item = await world.item(price=1000)
    order = await world.order(token, world.node_a, item)
    await world.complete(order["id"])
    anonymous = await browser_factory()
    empty = await anonymous.get("/app/verify")
    assert empty.status_code == 200 and 'name="id"' in empty.text
    assert_no_inline_code(empty.text)
    pending = await anonymous.get(f"/app/verify?id={order['id']}")
    # The API's answer for it (404: no batch holds it yet), in words, on a page that
    # found nothing settled yet (200, like a search without results).
    api = await world.client.get(f"/api/v1/settlement/proofs/order/{order['id']}")
    assert api.status_code == 404 and pending.status_code == 200
    assert 'data-state="missing"' in pending.text
    assert "is pending until the next settlement batch" in pending.text
    assert f'value="{order["id"]}"' in pending.text
    nonsense = await anonymous.get("/app/verify?id=not-an-id&kind=receipt")
    assert nonsense.status_code == 200 and 'data-state="missing"' in nonsense.text
