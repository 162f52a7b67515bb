"""Races against real PostgreSQL: overselling, and Idempotency-Key under retries."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy import func, select

from hotpot.context import AppContext
from hotpot.menu.tables import availability
from hotpot.orders.tables import orders
from tests.support import World, bearer, ok


async def test_fifty_confirmations_compete_for_ten_portions(
    client: httpx.AsyncClient, world: World, ctx: AppContext
) -> None:
    item = await world.item(portions=50)
    pending = [await world.order(world.tokens["customer"], world.node_a, item) for _ in range(50)]
    await world.stock(world.node_a, item, 10)

    results = await asyncio.gather(
        *(world.move("cashier", order["id"], "CONFIRMED") for order in pending)
    )
    statuses = sorted(response.status_code for response in results)
    assert statuses.count(200) == 10
    assert statuses.count(409) == 40
    assert {r.json()["code"] for r in results if r.status_code == 409} == {"sold_out"}
    async with ctx.db.read() as conn:
        left = await conn.scalar(
            select(availability.c.portions).where(
                availability.c.node_id == uuid.UUID(world.node_a),
                availability.c.item_id == uuid.UUID(item),
            )
        )
        confirmed = await conn.scalar(
            select(func.count())
            .select_from(orders)
            .where(
                orders.c.id.in_([uuid.UUID(o["id"]) for o in pending]),
                orders.c.status == "CONFIRMED",
            )
        )
    assert left == 0
    assert confirmed == 10


def _order_body(world: World, item: str, quantity: int = 1) -> dict[str, object]:
    return {"node_id": world.node_a, "lines": [{"item_id": item, "quantity": quantity}]}


async def test_replay_returns_the_identical_response(
    client: httpx.AsyncClient, world: World
) -> None:
    item = await world.item(portions=10)
    headers = {**world.auth("customer"), "Idempotency-Key": f"k-{uuid.uuid4()}"}
    first = await client.post("/api/v1/orders", json=_order_body(world, item), headers=headers)
    replay = await client.post("/api/v1/orders", json=_order_body(world, item), headers=headers)
    assert first.status_code == replay.status_code == 201
    assert first.content == replay.content


async def test_changed_body_under_the_same_key_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    item = await world.item(portions=10)
    headers = {**world.auth("customer"), "Idempotency-Key": f"k-{uuid.uuid4()}"}
    ok(await client.post("/api/v1/orders", json=_order_body(world, item), headers=headers), 201)
    changed = await client.post(
        "/api/v1/orders", json=_order_body(world, item, quantity=2), headers=headers
    )
    assert changed.status_code == 422
    assert changed.json()["code"] == "idempotency_key_reused"


async def test_keys_are_per_customer(client: httpx.AsyncClient, world: World) -> None:
    item = await world.item(portions=10)
    key = f"k-{uuid.uuid4()}"
    _, other = await world.customer()
    mine = ok(
        await client.post(
            "/api/v1/orders",
            json=_order_body(world, item),
            headers={**world.auth("customer"), "Idempotency-Key": key},
        ),
        201,
    )
    theirs = ok(
        await client.post(
            "/api/v1/orders",
            json=_order_body(world, item),
            headers={**bearer(other), "Idempotency-Key": key},
        ),
        201,
    )
    assert mine["id"] != theirs["id"]


async def test_twenty_concurrent_identical_requests_create_one_order(
    client: httpx.AsyncClient, world: World, ctx: AppContext
) -> None:
    account, token = await world.customer()
    item = await world.item(portions=10)
    headers = {**bearer(token), "Idempotency-Key": f"k-{uuid.uuid4()}"}
    responses = await asyncio.gather(
        *(
            client.post("/api/v1/orders", json=_order_body(world, item), headers=headers)
            for _ in range(20)
        )
    )
    codes = [response.status_code for response in responses]
    assert set(codes) <= {201, 409}, codes
    created = {response.json()["id"] for response in responses if response.status_code == 201}
    assert len(created) == 1
    conflicts = [r.json()["code"] for r in responses if r.status_code == 409]
    assert set(conflicts) <= {"idempotency_in_flight"}
    async with ctx.db.read() as conn:
        count = await conn.scalar(
            select(func.count())
            .select_from(orders)
            .where(orders.c.customer_id == uuid.UUID(account["id"]))
        )
    assert count == 1
    # Once the first attempt has finished, a retry gets its response, not a conflict.
    retry = await client.post("/api/v1/orders", json=_order_body(world, item), headers=headers)
    assert retry.status_code == 201 and retry.json()["id"] in created


async def test_a_failed_attempt_releases_its_key(client: httpx.AsyncClient, world: World) -> None:
    item = await world.item(portions=1)
    headers = {**world.auth("customer"), "Idempotency-Key": f"k-{uuid.uuid4()}"}
    sold_out = await client.post(
        "/api/v1/orders", json=_order_body(world, item, quantity=2), headers=headers
    )
    assert sold_out.status_code == 409
    await world.stock(world.node_a, item, 5)
    ok(
        await client.post(
            "/api/v1/orders", json=_order_body(world, item, quantity=2), headers=headers
        ),
        201,
    )
