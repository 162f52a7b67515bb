"""The web pages against the real app: roles, CSRF, idempotent ordering, CSP, cookies."""

from __future__ import annotations

import asyncio
import hashlib
import re
from pathlib import Path

import httpx

from hotpot.web.templating import CONTENT_SECURITY_POLICY, STATIC
from tests.support import PASSWORD, World, unique_email
from tests.web.conftest import Browser, csrf_of, signed_in, submit, terminal_browser

ORDER_LINK = re.compile(r"/app/orders/([0-9a-f-]{36})")


async def customer_browser(make: Browser, world: World) -> tuple[httpx.AsyncClient, str]:
    account, _ = await world.customer()
    return await signed_in(make, account["email"]), account["id"]


async def chef_browser(make: Browser, world: World, node_id: str) -> httpx.AsyncClient:
    chef = await world.staff("chef", node_id)
    return await signed_in(make, chef["email"])


async def order_ids(browser: httpx.AsyncClient) -> list[str]:
    listing = await browser.get("/app/orders")
    assert listing.status_code == 200
    return sorted(set(ORDER_LINK.findall(listing.text)))


def assert_no_inline_code(html: str) -> None:
    for tag in re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.S | re.I):
        assert tag.strip() == "", "inline script"
    assert all("src=" in tag for tag in re.findall(r"<script\b[^>]*>", html, flags=re.I))
    assert "<style" not in html.lower()
    assert not re.search(r"\sstyle=", html, flags=re.I), "inline style attribute"
    assert not re.search(r"\son[a-z]+=", html, flags=re.I), "inline event handler"
    assert "javascript:" not in html.lower()


async def test_root_links_the_pages_and_the_claim_link_opens_the_claim_page(
    browser_factory: Browser,
) -> None:
    browser = await browser_factory()
    landing = await browser.get("/")
    assert landing.status_code == 200
    assert 'href="/app/"' in landing.text
    receipt = "7f0c1e9a-2b4d-4c55-9a8e-1234567890ab"
    link = await browser.get(f"/claim?receipt={receipt}")
    assert link.status_code == 303
    assert link.headers["location"] == f"app/claim?receipt={receipt}"


async def test_claim_page_prefills_the_receipt_id(browser_factory: Browser, world: World) -> None:
    receipt = "7f0c1e9a-2b4d-4c55-9a8e-1234567890ab"
    anonymous = await browser_factory()
    bounced = await anonymous.get(f"/app/claim?receipt={receipt}")
    assert bounced.status_code == 303
    # Signing in comes back to the claim page with the id still in it.
    assert bounced.headers["location"] == f"/app/signin?next=/app/claim%3Freceipt%3D{receipt}"
    customer, _ = await customer_browser(browser_factory, world)
    page = await customer.get(f"/app/claim?receipt={receipt}")
    assert page.status_code == 200
    assert f'id="receipt" name="receipt" value="{receipt}"' in page.text


async def test_every_page_carries_the_csp_and_no_inline_code(
    browser_factory: Browser, world: World
) -> None:
    item = await world.item(price=1234)
    customer, _ = await customer_browser(browser_factory, world)
    chef = await chef_browser(browser_factory, world, world.node_a)
    till = await terminal_browser(browser_factory, world, world.node_a)
    anonymous = await browser_factory()
    menu = f"/app/nodes/{world.node_a}/menu"
    pages = [
        (anonymous, "/"),
        (anonymous, "/app/"),
        (anonymous, "/app/signin"),
        (anonymous, "/app/signup"),
        (anonymous, "/app/till/signin"),
        (anonymous, menu),
        (customer, menu),
        (customer, "/app/orders"),
        (customer, "/app/claim"),
        (customer, "/app/wallet"),
        (chef, f"/app/kitchen?node={world.node_a}"),
        (chef, f"/app/kitchen/queue?node={world.node_a}"),
        (till, "/app/till"),
    ]
    for browser, path in pages:
        response = await browser.get(path)
        assert response.status_code == 200, (path, response.text)
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "DENY"
        assert_no_inline_code(response.text)
    shown = await customer.get(menu)
    assert "12.34 GEL" in shown.text
    assert f'name="qty-{item}"' in shown.text
    # Anyone may fill a cart; placing the order asks to sign in first.
    cart = await submit(anonymous, menu, f"/app/nodes/{world.node_a}/cart", {f"qty-{item}": "1"})
    assert cart.status_code == 200
    assert "Sign in to order" in cart.text
    assert 'action="/app/orders"' not in cart.text


async def test_pages_refuse_the_wrong_role(browser_factory: Browser, world: World) -> None:
    customer, _ = await customer_browser(browser_factory, world)
    chef = await chef_browser(browser_factory, world, world.node_a)
    till = await terminal_browser(browser_factory, world, world.node_a)
    anonymous = await browser_factory()
    for path in ("/app/orders", "/app/kitchen", "/app/till", "/app/claim", "/app/wallet"):
        bounced = await anonymous.get(path)
        assert bounced.status_code == 303, path
        signin = "/app/till/signin" if path == "/app/till" else "/app/signin"
        assert bounced.headers["location"].startswith(f"{signin}?next="), path
    refused = [
        (customer, "/app/kitchen"),
        (customer, "/app/till"),
        (chef, "/app/till"),
        (chef, "/app/orders"),
        (chef, "/app/claim"),
        (chef, "/app/wallet"),
        (till, "/app/kitchen"),
        (till, "/app/claim"),
        (till, "/app/orders"),
        (till, "/app/wallet"),
    ]
    for browser, path in refused:
        response = await browser.get(path)
        assert response.status_code == 403, (path, response.status_code)
        assert response.headers["content-type"].startswith("text/html")
        assert "Traceback" not in response.text
        assert 'role="alert"' in response.text
    # A chef of another node sees no queue of this one (the orders service decides).
    other_chef = await chef_browser(browser_factory, world, world.node_b)
    response = await other_chef.get(f"/app/kitchen?node={world.node_a}")
    assert response.status_code == 403
    assert "this node is not yours" in response.text


async def test_session_and_csrf_cookies_are_httponly_and_samesite(
    browser_factory: Browser, world: World
) -> None:
    account, _ = await world.customer()
    browser = await browser_factory()
    shown = await browser.get("/app/signin")
    csrf_cookie = shown.headers["set-cookie"]
    assert csrf_cookie.startswith("hotpot_csrf=")
    assert "HttpOnly" in csrf_cookie
    assert "SameSite=strict" in csrf_cookie
    signed = await browser.post(
        "/app/signin",
        data={"csrf": csrf_of(shown.text), "login": account["email"], "password": PASSWORD},
    )
    assert signed.status_code == 303
    session_cookie = signed.headers["set-cookie"]
    assert session_cookie.startswith("hotpot_session=")
    assert "HttpOnly" in session_cookie
    assert "SameSite=lax" in session_cookie
    # Plain-http development: not Secure, or the browser would drop it.
    assert "Secure" not in session_cookie
    # The cookie is the API's own access token: the API accepts it as a Bearer token.
    token = browser.cookies["hotpot_session"]
    me = await browser.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["id"] == account["id"]


async def test_a_form_without_the_right_csrf_token_is_refused_and_writes_nothing(
    browser_factory: Browser, world: World
) -> None:
    item = await world.item()
    customer, _ = await customer_browser(browser_factory, world)
    cart = await submit(
        customer,
        f"/app/nodes/{world.node_a}/menu",
        f"/app/nodes/{world.node_a}/cart",
        {f"qty-{item}": "1"},
    )
    assert cart.status_code == 200
    fields = {
        "node_id": world.node_a,
        f"qty-{item}": "1",
        "idempotency_key": "csrf-test-key",
    }
    missing = await customer.post("/app/orders", data=fields)
    wrong = await customer.post("/app/orders", data={**fields, "csrf": "0" * 64})
    # A token from another browser's session is wrong here too.
    other, _ = await customer_browser(browser_factory, world)
    foreign = csrf_of((await other.get("/app/orders")).text)
    borrowed = await customer.post("/app/orders", data={**fields, "csrf": foreign})
    for response in (missing, wrong, borrowed):
        assert response.status_code == 403
        assert "form has expired" in response.text
    assert await order_ids(customer) == []
    # Every state-changing route of the pages checks it, signed in or not.
    for path in (
        "/app/signin",
        "/app/signup",
        "/app/signout",
        "/app/claim",
        "/app/till/signin",
        "/app/till/sales",
        f"/app/nodes/{world.node_a}/cart",
        f"/app/orders/{world.node_a}/cancel",
        f"/app/kitchen/orders/{world.node_a}/transition",
    ):
        response = await customer.post(path, data={"csrf": "nope"})
        assert response.status_code == 403, path


async def test_a_double_submitted_order_form_places_one_order(
    browser_factory: Browser, world: World
) -> None:
    item = await world.item(price=1500)
    customer, _ = await customer_browser(browser_factory, world)
    cart = await submit(
        customer,
        f"/app/nodes/{world.node_a}/menu",
        f"/app/nodes/{world.node_a}/cart",
        {f"qty-{item}": "2"},
    )
    assert cart.status_code == 200
    assert "30.00" in cart.text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', cart.text)
    assert key
    form = {
        "csrf": csrf_of(cart.text),
        "node_id": world.node_a,
        "idempotency_key": key.group(1),
        f"qty-{item}": "2",
    }
    first = await customer.post("/app/orders", data=form)
    second = await customer.post("/app/orders", data=form)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    ids = await order_ids(customer)
    assert len(ids) == 1
    assert first.headers["location"] == f"/app/orders/{ids[0]}"


async def test_the_order_status_follows_the_kitchen(browser_factory: Browser, world: World) -> None:
    item = await world.item(price=2000)
    customer, _ = await customer_browser(browser_factory, world)
    chef = await chef_browser(browser_factory, world, world.node_a)
    cart = await submit(
        customer,
        f"/app/nodes/{world.node_a}/menu",
        f"/app/nodes/{world.node_a}/cart",
        {f"qty-{item}": "1"},
    )
    placed = await customer.post(
        "/app/orders",
        data={
            "csrf": csrf_of(cart.text),
            "node_id": world.node_a,
            "idempotency_key": re.findall(r'name="idempotency_key" value="([^"]+)"', cart.text)[0],
            f"qty-{item}": "1",
        },
    )
    order_page = placed.headers["location"]
    status = await customer.get(order_page + "/status", headers={"HX-Request": "true"})
    assert 'data-status="PENDING"' in status.text
    assert 'hx-trigger="every 1s"' in status.text
    queue = await chef.get(f"/app/kitchen/queue?node={world.node_a}")
    order_id = order_page.rsplit("/", 1)[1]
    assert f'data-order="{order_id}"' in queue.text
    for target in ("CONFIRMED", "IN_PROGRESS", "READY", "COMPLETED"):
        moved = await submit(
            chef,
            f"/app/kitchen?node={world.node_a}",
            f"/app/kitchen/orders/{order_id}/transition",
            {"status": target},
        )
        assert moved.status_code == 303, moved.text
        status = await customer.get(order_page + "/status", headers={"HX-Request": "true"})
        assert f'data-status="{target}"' in status.text
    # Final: the fragment stops polling.
    assert "hx-trigger" not in status.text
    # 20.00 GEL at an owner node: 400 THP units, the buyer's 49 % (196), and 200 SPOT units.
    wallet = await customer.get("/app/wallet")
    assert wallet.status_code == 200
    assert "data-thp>1.96<" in wallet.text
    assert "data-spot>2.00<" in wallet.text
    # A refused move is shown in words: COMPLETED cannot move on.
    refused = await submit(
        chef,
        f"/app/kitchen?node={world.node_a}",
        f"/app/kitchen/orders/{order_id}/transition",
        {"status": "CANCELLED", "reason": "late"},
    )
    assert refused.status_code == 409
    assert "cannot move to CANCELLED" in refused.text
    assert "Traceback" not in refused.text


async def test_cancelling_a_confirmed_order_needs_a_reason(
    browser_factory: Browser, world: World
) -> None:
    item = await world.item()
    _, token = await world.customer()
    order = await world.order(token, world.node_a, item)
    chef = await chef_browser(browser_factory, world, world.node_a)
    kitchen = f"/app/kitchen?node={world.node_a}"
    action = f"/app/kitchen/orders/{order['id']}/transition"
    assert (await submit(chef, kitchen, action, {"status": "CONFIRMED"})).status_code == 303
    no_reason = await submit(chef, kitchen, action, {"status": "CANCELLED", "reason": ""})
    assert no_reason.status_code == 422
    assert "needs a reason" in no_reason.text
    done = await submit(chef, kitchen, action, {"status": "CANCELLED", "reason": "out of broth"})
    assert done.status_code == 303


async def test_the_cashier_confirms_and_hands_over_on_the_kitchen_display(
    browser_factory: Browser, world: World
) -> None:
    """Front of house: a cashier's display offers only the moves a cashier may take."""
    item = await world.item()
    _, token = await world.customer()
    order = await world.order(token, world.node_a, item)
    cashier_account = await world.staff("cashier", world.node_a)
    cashier = await signed_in(browser_factory, cashier_account["email"])
    kitchen = f"/app/kitchen?node={world.node_a}"
    action = f"/app/kitchen/orders/{order['id']}/transition"

    def buttons(html: str) -> list[str]:
        ticket = html.split(f'data-order="{order["id"]}"', 1)[1].split("</article>", 1)[0]
        return re.findall(r'name="status" value="([A-Z_]+)"', ticket)

    landed = await submit(
        await browser_factory(),
        "/app/signin",
        "/app/signin",
        {"login": cashier_account["email"], "password": PASSWORD},
    )
    assert landed.headers["location"] == "/app/kitchen"
    assert buttons((await cashier.get(kitchen)).text) == ["CONFIRMED", "CANCELLED"]
    assert (await submit(cashier, kitchen, action, {"status": "CONFIRMED"})).status_code == 303
    # Cooking is the kitchen's: no button, and the move itself is refused in words.
    assert buttons((await cashier.get(kitchen)).text) == ["CANCELLED"]
    refused = await submit(cashier, kitchen, action, {"status": "IN_PROGRESS"})
    assert refused.status_code == 403
    assert "may not move an order to IN_PROGRESS" in refused.text
    for role, target in (("chef", "IN_PROGRESS"), ("chef", "READY")):
        assert (await world.move(role, order["id"], target)).status_code == 200
    assert buttons((await cashier.get(kitchen)).text) == ["COMPLETED"]
    assert (await submit(cashier, kitchen, action, {"status": "COMPLETED"})).status_code == 303
    assert f'data-order="{order["id"]}"' not in (await cashier.get(kitchen)).text


async def test_sign_up_with_a_phone_then_sign_in(browser_factory: Browser) -> None:
    browser = await browser_factory()
    phone = "+995 5" + str(int(hashlib.sha256(unique_email().encode()).hexdigest(), 16))[:8]
    made = await submit(
        browser,
        "/app/signup",
        "/app/signup",
        {"login": phone, "password": PASSWORD, "next": "/app/orders"},
    )
    assert made.status_code == 303
    assert made.headers["location"] == "/app/orders"
    assert (await browser.get("/app/orders")).status_code == 200
    again = await browser_factory()
    wrong = await submit(
        again, "/app/signin", "/app/signin", {"login": phone, "password": "not-the-password"}
    )
    assert wrong.status_code == 401
    assert 'role="alert"' in wrong.text
    assert (await signed_in(browser_factory, phone, PASSWORD)).cookies["hotpot_session"]


async def test_a_till_sale_prints_a_receipt_the_customer_claims(
    browser_factory: Browser, world: World
) -> None:
    item = await world.item(price=1000)
    till = await terminal_browser(browser_factory, world, world.node_a)
    shown = await till.get("/app/till")
    sale_id = re.search(r'name="terminal_sale_id" value="([^"]+)"', shown.text)
    assert sale_id
    form = {"csrf": csrf_of(shown.text), "terminal_sale_id": sale_id.group(1), f"qty-{item}": "3"}
    receipt = await till.post("/app/till/sales", data=form)
    assert receipt.status_code == 200, receipt.text
    assert "30.00" in receipt.text
    receipt_id = re.search(r"data-receipt-id>([0-9a-f-]{36})<", receipt.text)
    code = re.search(r"data-code>([^<]+)<", receipt.text)
    assert receipt_id and code
    # A resend of the same page's sale records it once: the same receipt.
    resent = await till.post("/app/till/sales", data=form)
    assert f"data-receipt-id>{receipt_id.group(1)}<" in resent.text
    code = re.search(r"data-code>([^<]+)<", resent.text)  # a retry issues a fresh code
    assert code
    qr = await till.get(f"/app/till/receipts/{receipt_id.group(1)}/qr.png")
    assert qr.status_code == 200
    assert qr.content.startswith(b"\x89PNG")
    customer, _ = await customer_browser(browser_factory, world)
    claim_page = f"/app/claim?receipt={receipt_id.group(1)}"
    wrong = await submit(
        customer, claim_page, "/app/claim", {"receipt": receipt_id.group(1), "code": "2" * 12}
    )
    assert wrong.status_code == 403
    assert "Traceback" not in wrong.text
    claimed = await submit(
        customer, claim_page, "/app/claim", {"receipt": receipt_id.group(1), "code": code.group(1)}
    )
    assert claimed.status_code == 200, claimed.text
    assert "Claimed!" in claimed.text


async def test_static_files_are_served_and_htmx_is_the_pinned_release(
    browser_factory: Browser,
) -> None:
    browser = await browser_factory()
    vendored = STATIC / "vendor" / "htmx-2.0.11.min.js"
    body = vendored.read_bytes().split(b"\n", 1)[1]
    # sha256 of dist/htmx.min.js in the npm package htmx.org@2.0.11
    assert (
        hashlib.sha256(body).hexdigest()
        == "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"
    )
    for name in ("app.css", "print.css", "app.js", "vendor/htmx-2.0.11.min.js"):
        response = await browser.get(f"/app/static/{name}")
        assert response.status_code == 200, name
        assert response.content == (Path(STATIC) / name).read_bytes()


async def test_an_expired_session_is_renewed_from_the_refresh_cookie_once(
    browser_factory: Browser, world: World
) -> None:
    customer, account_id = await customer_browser(browser_factory, world)
    refresh = customer.cookies["hotpot_refresh"]
    # The access token ran out (here: is no longer valid), the refresh cookie is still there.
    (domain,) = {c.domain for c in customer.cookies.jar if c.name == "hotpot_session"}
    customer.cookies.set("hotpot_session", "expired.access.token", domain=domain)
    # A poll and a tap at once: one rotation, both answered, nobody signed out.
    first, second = await asyncio.gather(customer.get("/app/orders"), customer.get("/app/"))
    assert first.status_code == 200, first.text
    assert second.status_code == 200
    renewed = customer.cookies["hotpot_session"]
    assert renewed != "expired.access.token"
    assert customer.cookies["hotpot_refresh"] != refresh
    me = await customer.get("/api/v1/me", headers={"Authorization": f"Bearer {renewed}"})
    assert me.json()["id"] == account_id
    assert (await customer.get("/app/orders")).status_code == 200


async def test_signing_out_ends_the_refresh_token_too(
    browser_factory: Browser, world: World
) -> None:
    customer, _ = await customer_browser(browser_factory, world)
    refresh = customer.cookies["hotpot_refresh"]
    out = await submit(customer, "/app/orders", "/app/signout", {})
    assert out.status_code == 303
    assert "hotpot_session" not in customer.cookies
    assert "hotpot_refresh" not in customer.cookies
    # The old refresh token, replayed, no longer signs anyone in.
    thief = await browser_factory()
    thief.cookies.set("hotpot_refresh", refresh, domain="testserver.local", path="/app/")
    bounced = await thief.get("/app/orders")
    assert bounced.status_code == 303
    assert bounced.headers["location"].startswith("/app/signin")
