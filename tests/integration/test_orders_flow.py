"""The order lifecycle through the API: create, the kitchen's moves, cancellations, stock."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import event

from hotpot.context import AppContext
from tests.support import World, bearer, ok


async def _portions(client: httpx.AsyncClient, node: str, item: str) -> int:
    menu = ok(await client.get("/api/v1/menu", params={"node_id": node}))
    return next(entry["portions"] for entry in menu["items"] if entry["id"] == item)


async def test_order_moves_to_completed(client: httpx.AsyncClient, world: World) -> None:
    item = await world.item(price=1234, portions=5)
    order = await world.order(world.tokens["customer"], world.node_a, item, quantity=2)
    assert order["status"] == "PENDING"
    assert order["total_tetri"] == 2468
    assert order["lines"][0]["unit_price_tetri"] == 1234
    for role, status in (
        ("cashier", "CONFIRMED"),
        ("chef", "IN_PROGRESS"),
        ("chef", "READY"),
        ("cashier", "COMPLETED"),
    ):
        moved = ok(await world.move(role, order["id"], status))
        assert moved["status"] == status
    assert await _portions(client, world.node_a, item) == 3
    fetched = ok(await client.get(f"/api/v1/orders/{order['id']}", headers=world.auth("customer")))
    assert fetched["status"] == "COMPLETED"


async def test_invalid_transitions_are_refused(client: httpx.AsyncClient, world: World) -> None:
    item = await world.item(portions=5)
    order = await world.order(world.tokens["customer"], world.node_a, item)
    skipped = await world.move("chef", order["id"], "READY")
    assert skipped.status_code == 409
    assert skipped.headers["content-type"] == "application/problem+json"
    assert skipped.json()["code"] == "invalid_transition"
    ok(await world.move("cashier", order["id"], "CONFIRMED"))
    no_reason = await world.move("cashier", order["id"], "CANCELLED")
    assert no_reason.status_code == 422
    assert no_reason.json()["code"] == "reason_required"


async def test_cancelling_a_confirmed_order_returns_the_portions(
    client: httpx.AsyncClient, world: World
) -> None:
    item = await world.item(portions=4)
    order = await world.order(world.tokens["customer"], world.node_a, item, quantity=3)
    ok(await world.move("cashier", order["id"], "CONFIRMED"))
    assert await _portions(client, world.node_a, item) == 1
    cancelled = ok(await world.move("cashier", order["id"], "CANCELLED", reason="out of broth"))
    assert cancelled["cancel_reason"] == "out of broth"
    assert await _portions(client, world.node_a, item) == 4


async def test_customer_cancels_own_pending_order_but_not_a_confirmed_one(
    client: httpx.AsyncClient, world: World
) -> None:
    item = await world.item(portions=4)
    first = await world.order(world.tokens["customer"], world.node_a, item)
    ok(await world.move("customer", first["id"], "CANCELLED"))
    second = await world.order(world.tokens["customer"], world.node_a, item)
    ok(await world.move("cashier", second["id"], "CONFIRMED"))
    refused = await world.move("customer", second["id"], "CANCELLED", reason="changed my mind")
    assert refused.status_code == 403


async def test_client_price_is_refused_and_totals_come_from_the_menu(
    client: httpx.AsyncClient, world: World
) -> None:
    item = await world.item(price=700, portions=4)
    response = await client.post(
        "/api/v1/orders",
        json={
            "node_id": world.node_a,
            "lines": [{"item_id": item, "quantity": 1, "unit_price_tetri": 1}],
        },
        headers=world.auth("customer"),
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


async def test_sold_out_and_retired_items_cannot_be_ordered(
    client: httpx.AsyncClient, world: World
) -> None:
    item = await world.item(portions=1)
    response = await client.post(
        "/api/v1/orders",
        json={"node_id": world.node_a, "lines": [{"item_id": item, "quantity": 2}]},
        headers=world.auth("customer"),
    )
    assert response.status_code == 409
    assert response.json()["code"] == "sold_out"
    ok(
        await client.patch(
            f"/api/v1/menu/items/{item}", json={"status": "RETIRED"}, headers=world.auth("owner")
        )
    )
    retired = await client.post(
        "/api/v1/orders",
        json={"node_id": world.node_a, "lines": [{"item_id": item, "quantity": 1}]},
        headers=world.auth("customer"),
    )
    assert retired.status_code == 422
    assert retired.json()["code"] == "item_not_orderable"
    menu = ok(await client.get("/api/v1/menu"))
    assert item not in {entry["id"] for entry in menu["items"]}


async def test_order_lists_are_scoped_and_paginated(
    client: httpx.AsyncClient, world: World
) -> None:
    _, token = await world.customer()
    item = await world.item(portions=10)
    for _ in range(3):
        await world.order(token, world.node_a, item)
    first = ok(await client.get("/api/v1/orders", params={"limit": 2}, headers=bearer(token)))
    assert len(first["items"]) == 2 and first["next_offset"] == 2
    second = ok(
        await client.get("/api/v1/orders", params={"limit": 2, "offset": 2}, headers=bearer(token))
    )
    assert len(second["items"]) == 1 and second["next_offset"] is None
    chef_b = ok(await client.get("/api/v1/orders", headers=world.auth("chef_b")))
    assert all(order["node_id"] == world.node_b for order in chef_b["items"])


async def test_an_order_is_one_transaction_of_set_based_statements(
    client: httpx.AsyncClient, world: World, ctx: AppContext
) -> None:
    """Issue 11: the claim, the pricing, the rows and the stored answer in one transaction,
    lines inserted together and nothing read back (the order of two lines as an example)."""
    first = await world.item(price=500, portions=5)
    second = await world.item(price=300, portions=5)
    body = {
        "node_id": world.node_a,
        "lines": [{"item_id": first, "quantity": 1}, {"item_id": second, "quantity": 2}],
    }
    headers = {**world.auth("customer"), "Idempotency-Key": f"k-{uuid.uuid4()}"}
    statements: list[str] = []
    transactions: list[object] = []
    engine = ctx.db.primary.sync_engine

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    def on_begin(conn: Any) -> None:
        transactions.append(conn)

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "begin", on_begin)
    try:
        created = ok(await client.post("/api/v1/orders", json=body, headers=headers), 201)
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "begin", on_begin)
    assert created["total_tetri"] == 1100
    assert [line["quantity"] for line in created["lines"]] == [1, 2]
    assert len(transactions) == 1, statements
    # claim, node, prices and stock, the order with its lines and event, the stored answer
    assert len(statements) <= 5, statements
    # The replay answers with the very same bytes.
    replay = ok(await client.post("/api/v1/orders", json=body, headers=headers), 201)
    assert replay == created
