"""The authorization matrix of the pages: every route of the web front ends x every role.

The same idea as `tests/integration/test_authorization.py` for the API: the matrix is
checked against the app's own routes, so a page added without an entry here fails.
A role that is let in must not be turned away (no 403, no bounce to a sign-in page; a
404 or a refusal of the form's content is fine, the role got past the door); a role that
is not let in gets a 403 page in words, and an anonymous visitor is sent to sign in.
POSTs carry a valid CSRF token of the caller's own session and an empty form, so a
missing role check shows as a 422 or a 303 where a 403 was due.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest

from hotpot.web.errors import HtmlErrorsRoute
from hotpot.web.session import SESSION_COOKIE
from tests.support import World
from tests.web.conftest import Browser, csrf_of

ROLES = (
    "anonymous",
    "customer",
    "chef",
    "cashier",
    "franchisee",
    "compliance",
    "owner",
    "terminal",
)
EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
PEOPLE = SIGNED_IN - {"terminal"}
CUSTOMER = frozenset({"customer"})
KITCHEN = frozenset({"chef", "franchisee", "owner"})
TILL = frozenset({"terminal"})
HOLDERS = frozenset({"customer", "franchisee", "owner"})
OWNER = frozenset({"owner"})


@dataclass(frozen=True)
class Page:
    roles: frozenset[str]
    # Where a refused anonymous visitor is sent; the till has its own sign-in page.
    signin: str = "/app/signin"
    # A route whose allowed call would change what other tests see (a pool distribution,
    # signing out the shared session): only its refusals are exercised.
    refusals_only: bool = False
    # Roles the service does not show the object to at all (another node's): a 404 in
    # words, as the API answers them.
    hidden: frozenset[str] = frozenset()
    # Query the route needs (its parameters filled like the path's).
    query: str = ""


PAGES: dict[tuple[str, str], Page] = {
    ("GET", "/"): Page(EVERYONE),
    ("GET", "/claim"): Page(EVERYONE),
    ("GET", "/app/"): Page(EVERYONE),
    ("GET", "/app/nodes/{node_id}/menu"): Page(EVERYONE),
    ("POST", "/app/nodes/{node_id}/cart"): Page(EVERYONE),
    ("POST", "/app/orders"): Page(CUSTOMER),
    ("GET", "/app/orders"): Page(CUSTOMER),
    ("GET", "/app/orders/{order_id}"): Page(CUSTOMER),
    ("GET", "/app/orders/{order_id}/status"): Page(CUSTOMER),
    ("POST", "/app/orders/{order_id}/cancel"): Page(CUSTOMER),
    ("GET", "/app/signin"): Page(EVERYONE),
    ("POST", "/app/signin"): Page(EVERYONE),
    ("GET", "/app/signup"): Page(EVERYONE),
    ("POST", "/app/signup"): Page(EVERYONE),
    ("POST", "/app/signout"): Page(EVERYONE, refusals_only=True),
    ("GET", "/app/claim"): Page(CUSTOMER),
    ("POST", "/app/claim"): Page(CUSTOMER),
    ("GET", "/app/kitchen"): Page(KITCHEN),
    # Node A's queue: the franchisee runs node B, so it is refused (the orders service's
    # "this node is not yours").
    ("GET", "/app/kitchen/queue"): Page(KITCHEN - {"franchisee"}, query="node={node_id}"),
    ("POST", "/app/kitchen/orders/{order_id}/transition"): Page(KITCHEN),
    ("GET", "/app/till/signin"): Page(EVERYONE),
    ("POST", "/app/till/signin"): Page(EVERYONE),
    ("GET", "/app/till"): Page(TILL, signin="/app/till/signin"),
    ("POST", "/app/till/sales"): Page(TILL, signin="/app/till/signin"),
    # The API's receipt readers (tests/integration/test_authorization.py RECEIPT_READERS).
    ("GET", "/app/till/receipts/{receipt_id}/qr.png"): Page(
        TILL | {"owner", "cashier"}, signin="/app/till/signin", hidden=frozenset({"franchisee"})
    ),
    ("GET", "/app/wallet"): Page(HOLDERS),
}


def _routes(routes: list[object]) -> list[object]:
    """Every route, through the routers FastAPI keeps included as they are."""
    flat = []
    for route in routes:
        included = getattr(route, "original_router", None)
        flat.extend(_routes(included.routes) if included is not None else [route])
    return flat


def page_routes(app: object) -> set[tuple[str, str]]:
    found = set()
    for route in _routes(app.routes):  # type: ignore[attr-defined]
        if not isinstance(route, HtmlErrorsRoute):
            continue  # the API's routes (and its docs pages) are the other matrix's
        for method in route.methods - {"HEAD"}:
            found.add((method, route.path))
    return found


def test_every_page_route_has_an_entry(app_and_ctx: tuple[object, object]) -> None:
    routes = page_routes(app_and_ctx[0])
    assert routes, "no page routes found"
    missing = sorted(routes - PAGES.keys())
    stale = sorted(PAGES.keys() - routes)
    assert not missing, f"page routes without a matrix entry: {missing}"
    assert not stale, f"matrix entries for routes that do not exist: {stale}"


Params = Callable[[World], Awaitable[str]]


async def _order(world: World) -> str:
    item = await world.item()
    return str((await world.order(world.tokens["customer"], world.node_a, item))["id"])


async def _receipt(world: World) -> str:
    item = await world.item()
    response = await world.client.post(
        "/api/v1/sales",
        json={
            "node_id": world.node_a,
            "terminal_sale_id": f"matrix-{uuid.uuid4().hex[:12]}",
            "lines": [{"item_id": item, "quantity": 1}],
        },
        headers=world.auth("terminal"),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["receipt_id"])


async def _node(world: World) -> str:
    return world.node_a


# How each path parameter of a page is filled: an object of node A, the customer's.
PARAMETERS: dict[str, Params] = {
    "node_id": _node,
    "order_id": _order,
    "receipt_id": _receipt,
}


async def _browser(make: Browser, world: World, role: str) -> httpx.AsyncClient:
    browser = await make()
    if role != "anonymous":
        # The page session is the API's access token itself (docs/web.md).
        browser.cookies.set(SESSION_COOKIE, world.tokens[role])
    return browser


async def _csrf(browser: httpx.AsyncClient) -> str:
    """The caller's own CSRF token, from a page every caller may open."""
    for page in ("/", "/app/signin"):
        shown = await browser.get(page)
        if shown.status_code == 200 and 'name="csrf"' in shown.text:
            return csrf_of(shown.text)
    raise AssertionError("no page offered a CSRF token")


FILLED = re.compile(r"\{([a-z_]+)\}")


async def _path(template: str, world: World, cache: dict[str, str]) -> str:
    for name in FILLED.findall(template):
        if name not in cache:
            assert name in PARAMETERS, f"no way to fill {{{name}}}: add it to PARAMETERS"
            cache[name] = await PARAMETERS[name](world)
        template = template.replace(f"{{{name}}}", cache[name])
    return template


def _turned_away(response: httpx.Response) -> bool:
    location = response.headers.get("location", "")
    redirect = response.headers.get("hx-redirect", "")
    return (
        response.status_code in (401, 403)
        or (response.status_code in (302, 303) and "signin" in location)
        or "signin" in redirect
    )


def _in_words(response: httpx.Response, status: int) -> bool:
    return (
        response.status_code == status
        and response.headers["content-type"].startswith("text/html")
        and 'role="alert"' in response.text
        and "Traceback" not in response.text
    )


@pytest.mark.parametrize("role", ROLES)
async def test_each_role_gets_exactly_its_pages(
    role: str, browser_factory: Browser, world: World
) -> None:
    browser = await _browser(browser_factory, world, role)
    cache: dict[str, str] = {}
    token = await _csrf(browser)
    wrong = []
    for (method, template), entry in sorted(PAGES.items()):
        allowed = role in entry.roles
        if allowed and entry.refusals_only:
            continue
        path = await _path(template, world, cache)
        if entry.query:
            path += "?" + await _path(entry.query, world, cache)
        if method == "GET":
            response = await browser.get(path)
        else:
            response = await browser.post(path, data={"csrf": token})
        if allowed:
            if _turned_away(response) or response.status_code >= 500:
                wrong.append((method, template, "let in", response.status_code))
        elif role == "anonymous" and method == "GET":
            location = response.headers.get("location", "")
            if response.status_code != 303 or not location.startswith(f"{entry.signin}?next="):
                wrong.append((method, template, f"sent to {entry.signin}", response.status_code))
        else:
            # A form posted without a session cannot be carried through a redirect: 401.
            status = 404 if role in entry.hidden else 401 if role == "anonymous" else 403
            if not _in_words(response, status):
                wrong.append((method, template, f"{status} in words", response.status_code))
    assert not wrong, f"{role}: (method, route, expected, got) {wrong}"
