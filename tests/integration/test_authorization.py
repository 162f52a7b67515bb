"""Every endpoint against every role, and the token checks behind them."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest

from hotpot.config import DEV_JWT_SECRET
from hotpot.context import AppContext
from hotpot.security.tokens import Claims, issue_access_token
from tests.support import PASSWORD, World, bearer, unique_email

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


@dataclass
class Call:
    method: str
    path: str
    body: dict[str, Any] | None = None


Factory = Callable[[World, dict[str, str]], Awaitable[Call]]


@dataclass
class Endpoint:
    name: str
    make: Factory
    allowed: dict[str, int]  # role -> expected success status
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


EVERYONE = {role: 200 for role in ROLES}
PEOPLE = {role: 200 for role in ROLES if role not in ("anonymous", "terminal", "terminal_b")}
NODE_A_STAFF = {"owner": 200, "chef": 200, "cashier": 200, "terminal": 200}

ENDPOINTS = [
    Endpoint("public menu", _static("GET", "/api/v1/menu"), EVERYONE),
    Endpoint("node menu", _static("GET", "/api/v1/menu?node_id={a}"), EVERYONE),
    Endpoint("public item", _static("GET", "/api/v1/menu/items/{item}"), EVERYONE),
    Endpoint("nodes", _static("GET", "/api/v1/nodes"), EVERYONE),
    Endpoint("me", _static("GET", "/api/v1/me"), PEOPLE, frozenset({"terminal", "terminal_b"})),
    Endpoint("create staff", _staff_call, {"owner": 201}),
    Endpoint("list staff", _static("GET", "/api/v1/staff"), {"owner": 200}),
    Endpoint(
        "create node",
        _static("POST", "/api/v1/nodes", {"name": "N", "city": "Kutaisi", "type": "OWNER"}),
        {"owner": 201},
    ),
    Endpoint(
        "patch node", _static("PATCH", "/api/v1/nodes/{a}", {"city": "Tbilisi"}), {"owner": 200}
    ),
    Endpoint(
        "create terminal",
        _static("POST", "/api/v1/nodes/{a}/terminals", {"name": "till"}),
        {"owner": 201},
    ),
    Endpoint(
        "list terminals of B",
        _static("GET", "/api/v1/nodes/{b}/terminals"),
        {"owner": 200, "franchisee": 200},
    ),
    Endpoint(
        "whitelist terminal",
        _static("PATCH", "/api/v1/terminals/{spare_terminal}", {"whitelisted": False}),
        {"owner": 200},
    ),
    Endpoint(
        "set stock at A",
        _static("PUT", "/api/v1/nodes/{a}/availability/{item}", {"portions": 500}),
        {"owner": 200, "chef": 200, "terminal": 200},
    ),
    Endpoint("all items", _static("GET", "/api/v1/menu/items"), {"owner": 200}),
    Endpoint(
        "add item",
        _static("POST", "/api/v1/menu/items", {"name": "New", "price_tetri": 999}),
        {"owner": 201},
    ),
    Endpoint(
        "edit item",
        _static("PATCH", "/api/v1/menu/items/{item}", {"priority": 6}),
        {"owner": 200},
    ),
    Endpoint("create order", _create_order_call, {"customer": 201, "customer_b": 201}),
    Endpoint(
        "list orders",
        _static("GET", "/api/v1/orders"),
        {r: 200 for r in PEOPLE if r != "compliance"} | {"terminal": 200, "terminal_b": 200},
    ),
    Endpoint(
        "read A's order",
        _order_read_call,
        {"customer": 200, **NODE_A_STAFF},
        frozenset({"customer_b", "franchisee", "chef_b", "compliance", "terminal_b"}),
    ),
    Endpoint(
        "confirm A's order",
        _transition_call,
        NODE_A_STAFF,
        frozenset({"customer_b", "franchisee", "chef_b", "compliance", "terminal_b"}),
    ),
]


@pytest.fixture(scope="module")
async def shared(world: World) -> dict[str, str]:
    item = await world.item(portions=10_000)
    order = await world.order(world.tokens["customer"], world.node_a, item)
    world.tokens.setdefault("customer_b", (await world.customer())[1])
    spare = await world.terminal(world.node_a, whitelist=False)
    return {"item": item, "order": order["id"], "spare_terminal": spare}


def _expected(endpoint: Endpoint, role: str) -> int:
    if role in endpoint.allowed:
        return endpoint.allowed[role]
    if role == "anonymous":
        return 401
    if role in endpoint.hidden:
        return 404
    return 403


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
async def test_matrix(
    client: httpx.AsyncClient, world: World, shared: dict[str, str], endpoint: Endpoint
) -> None:
    failures = []
    for role in ROLES:
        call = await endpoint.make(world, shared)
        headers = {} if role == "anonymous" else world.auth(role)
        response = await client.request(call.method, call.path, json=call.body, headers=headers)
        if response.status_code != _expected(endpoint, role):
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
    client: httpx.AsyncClient, world: World
) -> None:
    token = await world.terminal(world.node_a)
    orders_ok = await client.get("/api/v1/orders", headers=bearer(token))
    assert orders_ok.status_code == 200
    terminal_id = jwt.decode(token, options={"verify_signature": False})["sub"]
    await client.patch(
        f"/api/v1/terminals/{terminal_id}", json={"whitelisted": False}, headers=world.auth("owner")
    )
    refused = await client.get("/api/v1/orders", headers=bearer(token))
    assert refused.status_code == 403
    assert refused.json()["code"] == "terminal_not_whitelisted"


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
