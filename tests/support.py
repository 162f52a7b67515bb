"""Test helpers: a small network built through the real API, and token helpers."""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from sqlalchemy import event

from hotpot.accounts import service as accounts
from hotpot.accounts.schemas import OfficeStaffIn
from hotpot.adapters.embedded import free_port
from hotpot.app import create_app
from hotpot.config import Settings
from hotpot.context import AppContext

PASSWORD = "correct-horse-battery"  # test-only credential


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@hotpot-tests.org"


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> str:
    response = await client.post("/api/v1/auth/login", json={"login": email, "password": password})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    return response.json() if response.content else None


@dataclass
class World:
    client: httpx.AsyncClient
    ctx: AppContext
    tokens: dict[str, str] = field(default_factory=dict)
    node_a: str = ""  # OWNER node
    node_b: str = ""  # FRANCHISE node
    terminal_secrets: dict[str, tuple[str, str]] = field(default_factory=dict)

    @classmethod
    async def create(cls, client: httpx.AsyncClient, ctx: AppContext) -> World:
        world = cls(client, ctx)
        owner_email = unique_email("owner")
        await accounts.create_staff(
            ctx, OfficeStaffIn(email=owner_email, password=PASSWORD, role="owner")
        )
        world.tokens["owner"] = await login(client, owner_email)
        franchisee = await world.staff("franchisee")
        world.node_a = ok(
            await client.post(
                "/api/v1/nodes",
                json={"name": "A", "city": "Tbilisi", "type": "OWNER"},
                headers=world.auth("owner"),
            ),
            201,
        )["id"]
        world.node_b = ok(
            await client.post(
                "/api/v1/nodes",
                json={
                    "name": "B",
                    "city": "Batumi",
                    "type": "FRANCHISE",
                    "owner_account_id": franchisee["id"],
                },
                headers=world.auth("owner"),
            ),
            201,
        )["id"]
        # Log in after the node exists, so the franchisee's token names it.
        world.tokens["franchisee"] = await login(client, franchisee["email"])
        for role, node in (
            ("chef", world.node_a),
            ("cashier", world.node_a),
            ("chef_b", world.node_b),
        ):
            account = await world.staff(role.removesuffix("_b"), node)
            world.tokens[role] = await login(client, account["email"])
        compliance = await world.staff("compliance")
        world.tokens["compliance"] = await login(client, compliance["email"])
        for name, node in (("terminal", world.node_a), ("terminal_b", world.node_b)):
            world.tokens[name] = await world.terminal(node)
        world.tokens["customer"] = (await world.customer())[1]
        return world

    def auth(self, role: str) -> dict[str, str]:
        return bearer(self.tokens[role])

    async def staff(self, role: str, node_id: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"email": unique_email(role), "password": PASSWORD, "role": role}
        if node_id:
            body["node_id"] = node_id
        created = ok(
            await self.client.post("/api/v1/staff", json=body, headers=self.auth("owner")), 201
        )
        assert isinstance(created, dict)
        return created

    async def terminal(self, node_id: str, whitelist: bool = True) -> str:
        created = ok(
            await self.client.post(
                f"/api/v1/nodes/{node_id}/terminals",
                json={"name": "till"},
                headers=self.auth("owner"),
            ),
            201,
        )
        if whitelist:
            ok(
                await self.client.patch(
                    f"/api/v1/terminals/{created['id']}",
                    json={"whitelisted": True},
                    headers=self.auth("owner"),
                )
            )
        response = await self.client.post(
            "/api/v1/auth/terminal",
            json={"terminal_id": created["id"], "secret": created["secret"]},
        )
        self.terminal_secrets[created["id"]] = (node_id, created["secret"])
        return str(ok(response)["access_token"]) if whitelist else created["id"]

    async def customer(self) -> tuple[dict[str, Any], str]:
        email = unique_email("customer")
        account = ok(
            await self.client.post(
                "/api/v1/auth/register", json={"email": email, "password": PASSWORD}
            ),
            201,
        )
        return account, await login(self.client, email)

    async def item(self, price: int = 1500, portions: int = 100, **extra: Any) -> str:
        body = {
            "name": f"Dish {uuid.uuid4().hex[:6]}",
            "price_tetri": price,
            "ingredients": [{"name": "broth", "grams": 300, "kcal": 120}],
            **extra,
        }
        item = ok(
            await self.client.post("/api/v1/menu/items", json=body, headers=self.auth("owner")),
            201,
        )
        for node in (self.node_a, self.node_b):
            await self.stock(node, item["id"], portions)
        return str(item["id"])

    async def stock(self, node_id: str, item_id: str, portions: int) -> None:
        ok(
            await self.client.put(
                f"/api/v1/nodes/{node_id}/availability/{item_id}",
                json={"portions": portions},
                headers=self.auth("owner"),
            )
        )

    async def order(
        self, token: str, node_id: str, item_id: str, quantity: int = 1
    ) -> dict[str, Any]:
        created = ok(
            await self.client.post(
                "/api/v1/orders",
                json={"node_id": node_id, "lines": [{"item_id": item_id, "quantity": quantity}]},
                headers=bearer(token),
            ),
            201,
        )
        assert isinstance(created, dict)
        return created

    async def complete(self, order_id: str, node: str = "a") -> None:
        """Walk an order through the kitchen to COMPLETED (which mints its tokens)."""
        if node == "a":
            staff = ("cashier", "chef", "chef", "cashier")
        else:
            staff = ("chef_b", "chef_b", "chef_b", "chef_b")
        statuses = ("CONFIRMED", "IN_PROGRESS", "READY", "COMPLETED")
        for role, status in zip(staff, statuses, strict=True):
            ok(await self.move(role, order_id, status))

    async def move(
        self, role: str, order_id: str, status: str, reason: str | None = None
    ) -> httpx.Response:
        body: dict[str, Any] = {"status": status}
        if reason:
            body["reason"] = reason
        return await self.client.post(
            f"/api/v1/orders/{order_id}/transitions", json=body, headers=self.auth(role)
        )


class LiveServer:
    """The app in a real uvicorn server on loopback, on its own event loop in a thread."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app = create_app(self.settings)
        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(
                self.app, host="127.0.0.1", port=self.port, log_config=None, access_log=False
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)


@dataclass(frozen=True)
class Executed:
    """One statement sent to the database: its text, parameters and execution context."""

    statement: str
    parameters: Any
    context: Any


@contextlib.contextmanager
def recorded(ctx: AppContext) -> Iterator[list[Executed]]:
    """Every statement sent to the primary meanwhile."""
    statements: list[Executed] = []
    engine = ctx.db.primary.sync_engine

    def on_execute(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, context: Any, _many: Any
    ) -> None:
        statements.append(Executed(statement, parameters, context))

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
