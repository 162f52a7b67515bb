"""The pages' authorization matrix: which role may open each page route, and how to fill
each route's parameters. `tests/web/test_page_matrix.py` checks it against the app and
drives every route with every role; `tests/browser/test_every_page.py` opens every page
as a role it lets in, for screenshots and the accessibility check."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from hotpot.web.errors import HtmlErrorsRoute
from tests.support import World

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
KITCHEN = frozenset({"chef", "cashier", "franchisee", "owner"})
TILL = frozenset({"terminal"})
HOLDERS = frozenset({"customer", "franchisee", "owner"})
OWNER = frozenset({"owner"})
FRANCHISEE = frozenset({"franchisee"})
COMPLIANCE = frozenset({"compliance"})


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
    # Parameters filled another way than PARAMETERS' default for their name:
    # (name in the route, key in PARAMETERS).
    params: tuple[tuple[str, str], ...] = ()
    # Query the route needs (its parameters filled like the path's).
    query: str = ""
    # A GET that answers a page a person looks at (not a fragment, an image or a
    # redirect): the browser suite screenshots it and runs the accessibility check on it.
    whole_page: bool = True


PAGES: dict[tuple[str, str], Page] = {
    ("GET", "/"): Page(EVERYONE),
    ("GET", "/claim"): Page(EVERYONE, whole_page=False),
    ("GET", "/app/"): Page(EVERYONE),
    ("GET", "/app/nodes/{node_id}/menu"): Page(EVERYONE),
    ("POST", "/app/nodes/{node_id}/cart"): Page(EVERYONE),
    ("POST", "/app/orders"): Page(CUSTOMER),
    ("GET", "/app/orders"): Page(CUSTOMER),
    ("GET", "/app/orders/{order_id}"): Page(CUSTOMER),
    ("GET", "/app/orders/{order_id}/status"): Page(CUSTOMER, whole_page=False),
    ("POST", "/app/orders/{order_id}/cancel"): Page(CUSTOMER),
    ("GET", "/app/signin"): Page(EVERYONE),
    ("POST", "/app/signin"): Page(EVERYONE),
    ("POST", "/app/signin/ethereum/message"): Page(EVERYONE),
    ("POST", "/app/signin/ethereum"): Page(EVERYONE),
    ("POST", "/app/language"): Page(EVERYONE),
    ("GET", "/app/signup"): Page(EVERYONE),
    ("POST", "/app/signup"): Page(EVERYONE),
    ("POST", "/app/signout"): Page(EVERYONE, refusals_only=True),
    ("GET", "/app/claim"): Page(CUSTOMER),
    ("POST", "/app/claim"): Page(CUSTOMER),
    ("GET", "/app/kitchen"): Page(KITCHEN),
    # Node A's queue: the franchisee runs node B, so it is refused (the orders service's
    # "this node is not yours").
    ("GET", "/app/kitchen/queue"): Page(
        KITCHEN - {"franchisee"}, query="node={node_id}", whole_page=False
    ),
    ("POST", "/app/kitchen/orders/{order_id}/transition"): Page(KITCHEN),
    ("GET", "/app/till/signin"): Page(EVERYONE),
    ("POST", "/app/till/signin"): Page(EVERYONE),
    ("GET", "/app/till"): Page(TILL, signin="/app/till/signin"),
    ("POST", "/app/till/sales"): Page(TILL, signin="/app/till/signin"),
    # The API's receipt readers (tests/integration/test_authorization.py RECEIPT_READERS).
    ("GET", "/app/till/receipts/{receipt_id}/qr.png"): Page(
        TILL | {"owner", "cashier"},
        signin="/app/till/signin",
        hidden=frozenset({"franchisee"}),
        whole_page=False,
    ),
    ("GET", "/app/wallet"): Page(HOLDERS),
    ("GET", "/app/franchisee"): Page(FRANCHISEE),
    ("GET", "/app/proposals"): Page(EVERYONE),
    ("GET", "/app/proposals/{proposal_id}"): Page(EVERYONE),
    ("GET", "/app/proposals/{proposal_id}/live"): Page(EVERYONE, whole_page=False),
    ("POST", "/app/proposals/{proposal_id}/vote"): Page(CUSTOMER),
    # A customer's own vote: one who has not voted is told so in a 404 page (let in).
    ("GET", "/app/proposals/{proposal_id}/my-vote"): Page(CUSTOMER),
    ("GET", "/app/owner/proposals"): Page(OWNER),
    ("POST", "/app/owner/proposals"): Page(OWNER),
    ("POST", "/app/owner/proposals/{proposal_id}/{action}"): Page(OWNER),
    # Node B is the world's franchise node; the API's rule lets the owner read it too.
    ("GET", "/app/franchisee/nodes/{node_id}"): Page(
        FRANCHISEE | OWNER, params=(("node_id", "franchise_node"),)
    ),
    # Only customers move THP (the franchisee's and the owner's wallets show no form).
    ("POST", "/app/wallet/transfer"): Page(CUSTOMER),
    ("GET", "/app/compliance"): Page(COMPLIANCE),
    ("POST", "/app/compliance/kyc"): Page(COMPLIANCE),
    ("GET", "/app/transparency"): Page(EVERYONE),
    # With an id, the page shows its answer (not yet settled here) under the search box.
    ("GET", "/app/verify"): Page(EVERYONE, query="id={order_id}"),
    # The owner console. Its forms, sent empty, are refused for their content (422/404).
    ("GET", "/app/owner"): Page(OWNER),
    ("GET", "/app/owner/menu"): Page(OWNER),
    ("POST", "/app/owner/menu/items"): Page(OWNER),
    ("GET", "/app/owner/menu/items/{item_id}"): Page(OWNER),
    ("POST", "/app/owner/menu/items/{item_id}"): Page(OWNER),
    ("POST", "/app/owner/menu/items/{item_id}/status"): Page(OWNER),
    ("POST", "/app/owner/menu/items/{item_id}/availability"): Page(OWNER),
    ("GET", "/app/owner/nodes"): Page(OWNER),
    ("POST", "/app/owner/nodes"): Page(OWNER),
    ("GET", "/app/owner/nodes/{node_id}"): Page(OWNER),
    ("POST", "/app/owner/nodes/{node_id}"): Page(OWNER),
    ("POST", "/app/owner/nodes/{node_id}/terminals"): Page(OWNER),
    ("POST", "/app/owner/terminals/{terminal_id}/whitelist"): Page(OWNER),
    ("GET", "/app/owner/staff"): Page(OWNER),
    ("POST", "/app/owner/staff"): Page(OWNER),
    ("GET", "/app/owner/pool"): Page(OWNER),
    # The pool is the network's: a sweep or a distribution would change what others see.
    ("POST", "/app/owner/pool/expire"): Page(OWNER, refusals_only=True),
    ("POST", "/app/owner/pool/distribute"): Page(OWNER, refusals_only=True),
    # The API's readers of the register (KYC status per address).
    ("GET", "/app/registry/holders.csv"): Page(OWNER | {"compliance"}, whole_page=False),
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


async def _franchise_node(world: World) -> str:
    return world.node_b


async def _proposal(world: World) -> str:
    """A dish proposal, still a draft: the matrix's calls change nothing of it."""
    response = await world.client.post(
        "/api/v1/governance/dish-proposals",
        json={"name": f"Matrix dish {uuid.uuid4().hex[:6]}", "price_tetri": 900},
        headers=world.auth("owner"),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _owner_action(world: World) -> str:
    return "finalize"  # refused on a draft: harmless when let in


async def _item(world: World) -> str:
    return await world.item()


async def _terminal(world: World) -> str:
    return await world.terminal(world.node_a, whitelist=False)  # its id


# How each path parameter of a page is filled: an object of node A, the customer's.
PARAMETERS: dict[str, Params] = {
    "node_id": _node,
    "franchise_node": _franchise_node,
    "order_id": _order,
    "receipt_id": _receipt,
    "proposal_id": _proposal,
    "action": _owner_action,
    "item_id": _item,
    "terminal_id": _terminal,
}


FILLED = re.compile(r"\{([a-z_]+)\}")


async def fill(
    template: str, world: World, cache: dict[str, str], params: tuple[tuple[str, str], ...] = ()
) -> str:
    chosen = dict(params)
    for name in FILLED.findall(template):
        key = chosen.get(name, name)
        if key not in cache:
            assert key in PARAMETERS, f"no way to fill {{{name}}}: add {key} to PARAMETERS"
            cache[key] = await PARAMETERS[key](world)
        template = template.replace(f"{{{name}}}", cache[key])
    return template


async def target(template: str, entry: Page, world: World, cache: dict[str, str]) -> str:
    """The route's path with its parameters and query filled."""
    path = await fill(template, world, cache, entry.params)
    if entry.query:
        path += "?" + await fill(entry.query, world, cache, entry.params)
    return path


# Whom the browser suite shows each page as: the first role of this list the page lets in.
SHOWN_AS = ("anonymous", "customer", "chef", "franchisee", "owner", "compliance", "terminal")


def shown_as(entry: Page) -> str:
    return next(role for role in SHOWN_AS if role in entry.roles)


def shot_name(template: str) -> str:
    """`/app/nodes/{node_id}/menu` -> `nodes-node-menu`; `/` -> `landing`."""
    parts = [
        part.strip("{}").removesuffix("_id")
        for part in template.removeprefix("/app").split("/")
        if part
    ]
    return "-".join(parts) or ("landing" if template == "/" else "home")
