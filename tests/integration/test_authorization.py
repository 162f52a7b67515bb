"""Every route of the app against every role, and the token checks behind them.

The matrix is checked against the OpenAPI document: a route without an entry here fails
`test_every_route_has_an_entry`, so a new route gets its expected answers written down.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from siwe import SiweMessage

from hotpot.config import DEV_JWT_SECRET
from hotpot.context import AppContext
from hotpot.domain.canonical import raw_cid
from hotpot.security.tokens import Claims, issue_access_token
from tests.support import PASSWORD, World, bearer, ok, unique_email

ROLES = (
    "anonymous",
    "customer",
    "customer_b",
    "owner",
    "franchisee",
    "chef",
    "chef_b",
    "cashier",
    "compliance",
    "terminal",
    "terminal_b",
)
TERMINALS = frozenset({"terminal", "terminal_b"})


@dataclass
class Call:
    method: str
    path: str
    body: dict[str, Any] | None = None


Factory = Callable[[World, dict[str, str]], Awaitable[Call]]
Answer = int | tuple[int, str]
Outcome = Answer | frozenset[Answer]


@dataclass
class Endpoint:
    name: str
    route: str  # "METHOD /path/{template}" as in the OpenAPI document
    make: Factory
    # role -> what it gets past authorization: a status, a status and problem code (a 403
    # that is the service's answer, not the door's), or any of a few such answers.
    allowed: dict[str, Outcome]
    hidden: frozenset[str] = frozenset()  # roles that get 404 rather than 403


async def _pending_order(world: World, shared: dict[str, str]) -> str:
    order = await world.order(world.tokens["customer"], world.node_a, shared["item"])
    return str(order["id"])


def _static(method: str, path: str, body: dict[str, Any] | None = None) -> Factory:
    async def make(world: World, shared: dict[str, str]) -> Call:
        return Call(method, path.format(a=world.node_a, b=world.node_b, **shared), body)

    return make


async def _staff_call(world: World, shared: dict[str, str]) -> Call:
    return Call(
        "POST",
        "/api/v1/staff",
        {"email": unique_email("matrix"), "password": PASSWORD, "role": "compliance"},
    )


async def _transition_call(world: World, shared: dict[str, str]) -> Call:
    order_id = await _pending_order(world, shared)
    return Call("POST", f"/api/v1/orders/{order_id}/transitions", {"status": "CONFIRMED"})


async def _order_read_call(world: World, shared: dict[str, str]) -> Call:
    return Call("GET", f"/api/v1/orders/{shared['order']}")


async def _create_order_call(world: World, shared: dict[str, str]) -> Call:
    return Call(
        "POST",
        "/api/v1/orders",
        {"node_id": world.node_a, "lines": [{"item_id": shared["item"], "quantity": 1}]},
    )


async def _register_call(world: World, shared: dict[str, str]) -> Call:
    return Call("POST", "/api/v1/auth/register", {"email": unique_email(), "password": PASSWORD})


async def _refresh_token(world: World, shared: dict[str, str]) -> str:
    body = {"login": shared["login"], "password": PASSWORD}
    return str(ok(await world.client.post("/api/v1/auth/login", json=body))["refresh_token"])


async def _login_call(world: World, shared: dict[str, str]) -> Call:
    return Call("POST", "/api/v1/auth/login", {"login": shared["login"], "password": PASSWORD})


async def _refresh_call(world: World, shared: dict[str, str]) -> Call:
    return Call(
        "POST", "/api/v1/auth/refresh", {"refresh_token": await _refresh_token(world, shared)}
    )


async def _logout_call(world: World, shared: dict[str, str]) -> Call:
    return Call(
        "POST", "/api/v1/auth/logout", {"refresh_token": await _refresh_token(world, shared)}
    )


async def _siwe_call(world: World, shared: dict[str, str]) -> Call:
    settings = world.ctx.settings
    nonce = ok(await world.client.get("/api/v1/auth/siwe/nonce"))["nonce"]
    wallet = Account.create()
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    message = SiweMessage(
        domain=settings.siwe_domain,
        address=wallet.address,
        uri=settings.siwe_uri,
        version="1",
        chain_id=settings.siwe_chain_id,
        nonce=nonce,
        issued_at=now,
    ).prepare_message()
    signed = Account.sign_message(encode_defunct(text=message), private_key=wallet.key)
    signature = "0x" + signed.signature.hex().removeprefix("0x")
    return Call("POST", "/api/v1/auth/siwe", {"message": message, "signature": signature})


async def _terminal_login_call(world: World, shared: dict[str, str]) -> Call:
    secret = world.terminal_secrets[shared["till"]][1]
    return Call("POST", "/api/v1/auth/terminal", {"terminal_id": shared["till"], "secret": secret})


def _sale_body(shared: dict[str, str]) -> dict[str, Any]:
    return {
        "terminal_sale_id": f"matrix-{uuid.uuid4().hex[:12]}",
        "lines": [{"item_id": shared["item"], "quantity": 1}],
    }


async def _sale_call(world: World, shared: dict[str, str]) -> Call:
    return Call("POST", "/api/v1/sales", _sale_body(shared))


async def _sale_at_a(world: World, shared: dict[str, str]) -> dict[str, Any]:
    response = await world.client.post(
        "/api/v1/sales", json=_sale_body(shared), headers=world.auth("terminal")
    )
    sale = ok(response, 201)
    assert isinstance(sale, dict)
    return sale


async def _claim_call(world: World, shared: dict[str, str]) -> Call:
    sale = await _sale_at_a(world, shared)
    return Call(
        "POST", f"/api/v1/receipts/{sale['receipt_id']}/claim", {"code": sale["activation_code"]}
    )


async def _transfer_call(world: World, shared: dict[str, str]) -> Call:
    return Call("POST", "/api/v1/transfers", {"to_address": "0x" + "11" * 20, "units": 1})


async def _dish_call(world: World, shared: dict[str, str]) -> Call:
    return Call(
        "POST", "/api/v1/governance/dish-proposals", {"name": "Vote dish", "price_tetri": 900}
    )


async def _proposal_call(world: World, shared: dict[str, str]) -> Call:
    body = {"kind": "GENERAL", "title": "Longer hours"}
    return Call("POST", "/api/v1/governance/proposals", body)


EVERYONE = {role: 200 for role in ROLES}
PEOPLE = {role: 200 for role in ROLES if role not in ("anonymous", *TERMINALS)}
CUSTOMERS = {"customer": 200, "customer_b": 200}
NODE_A_STAFF = {"owner": 200, "chef": 200, "cashier": 200}
NOT_AT_A = frozenset({"customer_b", "franchisee", "chef_b", "compliance"})
RECEIPT_READERS = {"owner": 200, "cashier": 200, "terminal": 200}
OTHER_NODE_READERS = frozenset({"franchisee", "terminal_b"})  # another node's receipt: 404
STAFF = ("chef", "chef_b", "cashier", "compliance")


def _answer(roles: Any, status: int, code: str) -> dict[str, Outcome]:
    """The service's own refusal (past the door) for these roles."""
    return {role: (status, code) for role in roles}


# Who earns a share holds a wallet; other staff are let in and told they have none.
HOLDERS = {**_answer(STAFF, 403, "no_wallet"), **CUSTOMERS, "owner": 200, "franchisee": 200}
PROPOSAL = "/api/v1/governance/proposals/{proposal}"


def _everyone(status: int) -> dict[str, int]:
    return {role: status for role in ROLES}


ENDPOINTS = [
    # ops
    Endpoint("health", "GET /health", _static("GET", "/health"), EVERYONE),
    Endpoint("ready", "GET /ready", _static("GET", "/ready"), EVERYONE),
    Endpoint("metrics", "GET /metrics", _static("GET", "/metrics"), EVERYONE),
    # accounts: sign-in routes are public, whatever token comes along
    Endpoint("register", "POST /api/v1/auth/register", _register_call, _everyone(201)),
    Endpoint(
        "login",
        "POST /api/v1/auth/login",
        _login_call,
        EVERYONE,
    ),
    Endpoint("refresh", "POST /api/v1/auth/refresh", _refresh_call, EVERYONE),
    Endpoint("logout", "POST /api/v1/auth/logout", _logout_call, _everyone(204)),
    Endpoint(
        "siwe nonce",
        "GET /api/v1/auth/siwe/nonce",
        _static("GET", "/api/v1/auth/siwe/nonce"),
        EVERYONE,
    ),
    Endpoint("siwe", "POST /api/v1/auth/siwe", _siwe_call, EVERYONE),
    Endpoint("terminal sign-in", "POST /api/v1/auth/terminal", _terminal_login_call, EVERYONE),
    Endpoint("me", "GET /api/v1/me", _static("GET", "/api/v1/me"), PEOPLE),
    Endpoint("create staff", "POST /api/v1/staff", _staff_call, {"owner": 201}),
    Endpoint("list staff", "GET /api/v1/staff", _static("GET", "/api/v1/staff"), {"owner": 200}),
    # network
    Endpoint("nodes", "GET /api/v1/nodes", _static("GET", "/api/v1/nodes"), EVERYONE),
    Endpoint(
        "create node",
        "POST /api/v1/nodes",
        _static("POST", "/api/v1/nodes", {"name": "N", "city": "Kutaisi", "type": "OWNER"}),
        {"owner": 201},
    ),
    Endpoint(
        "patch node",
        "PATCH /api/v1/nodes/{node_id}",
        _static("PATCH", "/api/v1/nodes/{a}", {"city": "Tbilisi"}),
        {"owner": 200},
    ),
    Endpoint(
        "create terminal",
        "POST /api/v1/nodes/{node_id}/terminals",
        _static("POST", "/api/v1/nodes/{a}/terminals", {"name": "till"}),
        {"owner": 201},
    ),
    Endpoint(
        "list terminals of B",
        "GET /api/v1/nodes/{node_id}/terminals",
        _static("GET", "/api/v1/nodes/{b}/terminals"),
        {"owner": 200, "franchisee": 200},
    ),
    Endpoint(
        "whitelist terminal",
        "PATCH /api/v1/terminals/{terminal_id}",
        _static("PATCH", "/api/v1/terminals/{spare_terminal}", {"whitelisted": False}),
        {"owner": 200},
    ),
    Endpoint(
        "set stock at A",
        "PUT /api/v1/nodes/{node_id}/availability/{item_id}",
        _static("PUT", "/api/v1/nodes/{a}/availability/{item}", {"portions": 500}),
        {"owner": 200, "chef": 200, "terminal": 200},
    ),
    # menu
    Endpoint("public menu", "GET /api/v1/menu", _static("GET", "/api/v1/menu"), EVERYONE),
    Endpoint("node menu", "GET /api/v1/menu", _static("GET", "/api/v1/menu?node_id={a}"), EVERYONE),
    Endpoint(
        "public item",
        "GET /api/v1/menu/items/{item_id}",
        _static("GET", "/api/v1/menu/items/{item}"),
        EVERYONE,
    ),
    Endpoint(
        "all items", "GET /api/v1/menu/items", _static("GET", "/api/v1/menu/items"), {"owner": 200}
    ),
    Endpoint(
        "add item",
        "POST /api/v1/menu/items",
        _static("POST", "/api/v1/menu/items", {"name": "New", "price_tetri": 999}),
        {"owner": 201},
    ),
    Endpoint(
        "edit item",
        "PATCH /api/v1/menu/items/{item_id}",
        _static("PATCH", "/api/v1/menu/items/{item}", {"priority": 6}),
        {"owner": 200},
    ),
    # orders: app orders are never a till's (nor their customer ids)
    Endpoint(
        "create order",
        "POST /api/v1/orders",
        _create_order_call,
        {"customer": 201, "customer_b": 201},
    ),
    Endpoint(
        "list orders",
        "GET /api/v1/orders",
        _static("GET", "/api/v1/orders"),
        {r: 200 for r in PEOPLE if r != "compliance"},
    ),
    Endpoint(
        "read A's order",
        "GET /api/v1/orders/{order_id}",
        _order_read_call,
        {"customer": 200, **NODE_A_STAFF},
        NOT_AT_A,
    ),
    Endpoint(
        "confirm A's order",
        "POST /api/v1/orders/{order_id}/transitions",
        _transition_call,
        {**NODE_A_STAFF, "customer": (403, "forbidden_transition")},
        NOT_AT_A,
    ),
    Endpoint(
        "open orders at A",
        "GET /api/v1/nodes/{node_id}/orders/open",
        _static("GET", "/api/v1/nodes/{a}/orders/open"),
        NODE_A_STAFF,
    ),
    # wallets
    Endpoint("my wallet", "GET /api/v1/wallets/me", _static("GET", "/api/v1/wallets/me"), HOLDERS),
    Endpoint(
        "my history",
        "GET /api/v1/wallets/me/history",
        _static("GET", "/api/v1/wallets/me/history"),
        HOLDERS,
    ),
    Endpoint(
        "transfer",
        "POST /api/v1/transfers",
        _transfer_call,
        {"customer": (404, "receiver_not_found"), "customer_b": (404, "receiver_not_found")},
    ),
    Endpoint(
        "set KYC",
        "PUT /api/v1/customers/{account_id}/kyc",
        _static("PUT", "/api/v1/customers/{kyc_customer}/kyc", {"status": "PENDING"}),
        {"compliance": 204},
    ),
    Endpoint(
        "KYC queue",
        "GET /api/v1/kyc/queue",
        _static("GET", "/api/v1/kyc/queue?limit=1"),
        {"compliance": 200},
    ),
    # registry
    Endpoint(
        "holders",
        "GET /api/v1/registry/holders",
        _static("GET", "/api/v1/registry/holders"),
        {"owner": 200, "compliance": 200},
    ),
    Endpoint(
        "transparency", "GET /api/v1/transparency", _static("GET", "/api/v1/transparency"), EVERYONE
    ),
    # sales: the till's routes
    Endpoint("record sale", "POST /api/v1/sales", _sale_call, {"terminal": 201, "terminal_b": 201}),
    Endpoint(
        "receipt QR",
        "GET /api/v1/receipts/{receipt_id}/qr.png",
        _static("GET", "/api/v1/receipts/{receipt}/qr.png"),
        RECEIPT_READERS,
        OTHER_NODE_READERS,
    ),
    Endpoint(
        "print receipt",
        "GET /api/v1/receipts/{receipt_id}/print",
        _static("GET", "/api/v1/receipts/{receipt}/print"),
        RECEIPT_READERS,
        OTHER_NODE_READERS,
    ),
    Endpoint(
        "claim receipt",
        "POST /api/v1/receipts/{receipt_id}/claim",
        _claim_call,
        # The daily SPOT cap depends on what the session's shared customers claimed before.
        {role: frozenset({200, (409, "customer_cap_exceeded")}) for role in CUSTOMERS},
    ),
    Endpoint(
        "expire receipts",
        "POST /api/v1/receipts/expire",
        _static("POST", "/api/v1/receipts/expire"),
        {"owner": 200},
    ),
    Endpoint(
        "sales of B",
        "GET /api/v1/nodes/{node_id}/sales",
        _static("GET", "/api/v1/nodes/{b}/sales"),
        {"owner": 200, "franchisee": 200},
    ),
    Endpoint("pool", "GET /api/v1/pool", _static("GET", "/api/v1/pool"), EVERYONE),
    Endpoint(
        "distributions",
        "GET /api/v1/pool/distributions",
        _static("GET", "/api/v1/pool/distributions"),
        EVERYONE,
    ),
    Endpoint(
        "receipts behind the pool",
        "GET /api/v1/pool/receipts",
        _static("GET", "/api/v1/pool/receipts"),
        {"owner": 200},
    ),
    Endpoint(
        "distribute pool",
        "POST /api/v1/pool/distributions",
        _static("POST", "/api/v1/pool/distributions"),
        {"owner": frozenset({201, 409})},  # 409 pool_empty unless other tests filled it
    ),
    # governance
    Endpoint(
        "propose dish",
        "POST /api/v1/governance/dish-proposals",
        _dish_call,
        # The owner or a BigStack holder (none here) proposes a dish.
        {**_answer(PEOPLE, 403, "not_allowed_to_propose"), "owner": 201},
    ),
    Endpoint(
        "propose",
        "POST /api/v1/governance/proposals",
        _proposal_call,
        # Anyone holding 10 SPOT: staff never earn it; the shared customers may have by now.
        {
            **_answer(PEOPLE, 403, "insufficient_spot"),
            **{role: frozenset({201, (403, "insufficient_spot")}) for role in CUSTOMERS},
        },
    ),
    Endpoint(
        "proposals",
        "GET /api/v1/governance/proposals",
        _static("GET", "/api/v1/governance/proposals"),
        EVERYONE,
    ),
    Endpoint(
        "proposal",
        "GET /api/v1/governance/proposals/{proposal_id}",
        _static("GET", PROPOSAL),
        EVERYONE,
    ),
    Endpoint(
        "open vote",
        "POST /api/v1/governance/proposals/{proposal_id}/open",
        _static("POST", PROPOSAL + "/open"),
        {"owner": 200},
    ),
    Endpoint(
        "vote",
        "POST /api/v1/governance/proposals/{proposal_id}/votes",
        _static("POST", PROPOSAL + "/votes", {"choice": "FOR"}),
        # Customers vote: 403 not_eligible without SPOT at the snapshot, which depends on
        # what earlier tests of the session gave the shared customers.
        {role: frozenset({201, (403, "not_eligible")}) for role in CUSTOMERS},
    ),
    Endpoint(
        "votes",
        "GET /api/v1/governance/proposals/{proposal_id}/votes",
        _static("GET", PROPOSAL + "/votes"),
        EVERYONE,
    ),
    Endpoint(
        "vote proof",
        "GET /api/v1/governance/proposals/{proposal_id}/votes/{voter_id}/proof",
        _static("GET", PROPOSAL + "/votes/{proposal}/proof"),
        _everyone(409),  # not_finalized
    ),
    Endpoint(
        "finalize",
        "POST /api/v1/governance/proposals/{proposal_id}/finalize",
        _static("POST", PROPOSAL + "/finalize"),
        {"owner": 409},
    ),
    Endpoint(
        "execute",
        "POST /api/v1/governance/proposals/{proposal_id}/execute",
        _static("POST", PROPOSAL + "/execute"),
        {"owner": 409},
    ),
    # settlement (public proofs; an unknown record is 404 to everyone)
    Endpoint(
        "proof",
        "GET /api/v1/settlement/proofs/{ref_kind}/{ref_id}",
        _static("GET", "/api/v1/settlement/proofs/order/{unknown}"),
        _everyone(404),
    ),
    Endpoint(
        "verify proof",
        "GET /api/v1/settlement/proofs/{ref_kind}/{ref_id}/verify",
        _static("GET", "/api/v1/settlement/proofs/order/{unknown}/verify"),
        _everyone(404),
    ),
    Endpoint(
        "network",
        "GET /api/v1/settlement/network",
        _static("GET", "/api/v1/settlement/network"),
        # Public; whether the session's chain has deployed yet depends on earlier tests.
        {role: frozenset({200, (404, "not_deployed")}) for role in ROLES},
    ),
    Endpoint(
        "gateway",
        "GET /ipfs/{cid}",
        _static("GET", "/ipfs/" + raw_cid(b"a block nobody stored")),
        {role: (404, "not_stored") for role in ROLES},
    ),
    Endpoint(
        "my settlement",
        "GET /api/v1/wallets/me/settlement",
        _static("GET", "/api/v1/wallets/me/settlement"),
        PEOPLE,
    ),
]


@pytest.fixture(scope="module")
async def shared(world: World) -> dict[str, str]:
    item = await world.item(portions=10_000)
    order = await world.order(world.tokens["customer"], world.node_a, item)
    world.tokens.setdefault("customer_b", (await world.customer())[1])
    spare = await world.terminal(world.node_a, whitelist=False)
    await world.terminal(world.node_a)
    till = list(world.terminal_secrets)[-1]
    login = unique_email("matrix-login")
    ok(
        await world.client.post(
            "/api/v1/auth/register", json={"email": login, "password": PASSWORD}
        ),
        201,
    )
    kyc_customer, _ = await world.customer()
    shared = {
        "item": item,
        "order": order["id"],
        "spare_terminal": spare,
        "till": till,
        "login": login,
        "kyc_customer": kyc_customer["id"],
        "unknown": uuid.uuid4().hex,
    }
    sale = await _sale_at_a(world, shared)
    dish = await world.client.post(
        "/api/v1/governance/dish-proposals",
        json={"name": "Matrix dish", "price_tetri": 800},
        headers=world.auth("owner"),
    )
    proposal = ok(dish, 201)["id"]
    opened = await world.client.post(
        f"/api/v1/governance/proposals/{proposal}/open", headers=world.auth("owner")
    )
    ok(opened)
    return shared | {"receipt": sale["receipt_id"], "proposal": proposal}


def _is(answer: Answer, status: int, code: str | None) -> bool:
    return status == answer if isinstance(answer, int) else (status, code) == answer


def _matches(endpoint: Endpoint, role: str, response: httpx.Response) -> bool:
    status = response.status_code
    code = response.json().get("code") if status >= 400 else None
    expected = endpoint.allowed.get(role)
    if isinstance(expected, frozenset):
        return any(_is(answer, status, code) for answer in expected)
    if expected is not None:
        return _is(expected, status, code)
    # Refused at the door: unauthenticated, forbidden, or hidden as not found.
    if role == "anonymous":
        return (status, code) == (401, "unauthenticated")
    if role in endpoint.hidden:
        return status == 404 and str(code).endswith("_not_found")
    return (status, code) == (403, "forbidden")


def _documented_routes(app: Any) -> set[str]:
    paths = app.openapi()["paths"]
    return {f"{method.upper()} {path}" for path, ops in paths.items() for method in ops}


def test_every_route_has_an_entry(app_and_ctx: tuple[Any, AppContext]) -> None:
    covered = {endpoint.route for endpoint in ENDPOINTS}
    missing = _documented_routes(app_and_ctx[0]) - covered
    assert not missing, f"routes without an authorization matrix entry: {sorted(missing)}"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
async def test_matrix(
    client: httpx.AsyncClient, world: World, shared: dict[str, str], endpoint: Endpoint
) -> None:
    failures = []
    for role in ROLES:
        call = await endpoint.make(world, shared)
        headers = {} if role == "anonymous" else world.auth(role)
        response = await client.request(call.method, call.path, json=call.body, headers=headers)
        if not _matches(endpoint, role, response):
            failures.append(f"{role}: {response.status_code} {response.text[:120]}")
    assert not failures, f"{endpoint.name}: " + "; ".join(failures)


async def test_customer_cannot_cancel_someone_elses_order(
    client: httpx.AsyncClient, world: World, shared: dict[str, str]
) -> None:
    order_id = await _pending_order(world, shared)
    response = await world.move("customer_b", order_id, "CANCELLED")
    assert response.status_code == 404
    mine = await client.get(f"/api/v1/orders/{order_id}", headers=world.auth("customer"))
    assert mine.json()["status"] == "PENDING"


async def test_terminal_of_node_b_cannot_set_stock_at_node_a(
    client: httpx.AsyncClient, world: World, shared: dict[str, str]
) -> None:
    response = await client.put(
        f"/api/v1/nodes/{world.node_a}/availability/{shared['item']}",
        json={"portions": 1},
        headers=world.auth("terminal_b"),
    )
    assert response.status_code == 403


async def test_removing_a_terminal_from_the_whitelist_revokes_it_at_once(
    client: httpx.AsyncClient, world: World, shared: dict[str, str]
) -> None:
    token = await world.terminal(world.node_a)
    stock = f"/api/v1/nodes/{world.node_a}/availability/{shared['item']}"
    stocked = await client.put(stock, json={"portions": 9_000}, headers=bearer(token))
    assert stocked.status_code == 200
    terminal_id = jwt.decode(token, options={"verify_signature": False})["sub"]
    await client.patch(
        f"/api/v1/terminals/{terminal_id}", json={"whitelisted": False}, headers=world.auth("owner")
    )
    refused = await client.put(stock, json={"portions": 9_000}, headers=bearer(token))
    assert refused.status_code == 403
    assert refused.json()["code"] == "terminal_not_whitelisted"


async def test_a_terminal_is_refused_off_the_till_routes_with_a_reason(
    client: httpx.AsyncClient, world: World
) -> None:
    refused = await client.get("/api/v1/orders", headers=world.auth("terminal"))
    assert refused.status_code == 403
    body = refused.json()
    assert body["code"] == "forbidden" and "POS terminal" in body["detail"]
    assert "customer_id" not in refused.text


def _owner_claims(world: World) -> dict[str, Any]:
    return jwt.decode(world.tokens["owner"], options={"verify_signature": False})


async def test_expired_token_is_refused(
    client: httpx.AsyncClient, world: World, ctx: AppContext
) -> None:
    claims = _owner_claims(world)
    expired = issue_access_token(
        ctx.settings.effective_jwt_secret,
        Claims(subject=uuid.UUID(claims["sub"]), role="owner", node_ids=()),
        ttl_seconds=60,
        now=time.time() - 3600,
    )
    response = await client.get("/api/v1/staff", headers=bearer(expired))
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


async def test_tampered_token_is_refused(client: httpx.AsyncClient, world: World) -> None:
    customer = world.tokens["customer"]
    header, _payload, signature = customer.split(".")
    claims = jwt.decode(customer, options={"verify_signature": False})
    claims["role"] = "owner"
    forged_payload = jwt.utils.base64url_encode(jwt.api_jws.json.dumps(claims).encode()).decode()
    response = await client.get(
        "/api/v1/staff", headers=bearer(f"{header}.{forged_payload}.{signature}")
    )
    assert response.status_code == 401


async def test_token_signed_with_another_key_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    claims = _owner_claims(world)
    forged = jwt.encode(claims, DEV_JWT_SECRET + "-other", algorithm="HS256")
    assert (await client.get("/api/v1/staff", headers=bearer(forged))).status_code == 401


async def test_alg_none_token_is_refused(client: httpx.AsyncClient, world: World) -> None:
    claims = _owner_claims(world)
    unsigned = jwt.encode(claims, key=None, algorithm="none")  # type: ignore[arg-type]
    response = await client.get("/api/v1/staff", headers=bearer(unsigned))
    assert response.status_code == 401


async def test_garbage_and_missing_tokens_are_refused(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/v1/me")
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    garbage = await client.get("/api/v1/me", headers=bearer("not.a.token"))
    assert garbage.status_code == 401
