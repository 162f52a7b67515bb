"""What a node's people read through the API: its sales (for its franchisee and the owner,
keyset-paged, with the ledger's totals) and its open orders (for the kitchen, one query)."""

from __future__ import annotations

import uuid

import httpx

from tests.franchises import Franchise, new_franchise, till_sale
from tests.support import World, bearer, ok


async def _stocked_item(world: World, franchise: Franchise, price: int) -> str:
    item = await world.item(price=price)
    await world.stock(franchise.node_id, item, 100)
    return item


async def _complete(world: World, franchise: Franchise, order_id: str) -> None:
    for status in ("CONFIRMED", "IN_PROGRESS", "READY", "COMPLETED"):
        moved = await world.client.post(
            f"/api/v1/orders/{order_id}/transitions",
            json={"status": status},
            headers=franchise.auth,
        )
        ok(moved)


async def test_a_franchisee_reads_their_node_s_sales_newest_first_with_totals(
    client: httpx.AsyncClient, world: World
) -> None:
    franchise = await new_franchise(world)
    sold = []
    for price in (10_000, 2_500, 1_234):
        sold.append(await till_sale(world, franchise, await _stocked_item(world, franchise, price)))
    _, customer = await world.customer()
    dish = await _stocked_item(world, franchise, 5_000)
    order = await world.order(customer, franchise.node_id, dish)
    await _complete(world, franchise, order["id"])

    page = ok(await client.get(f"/api/v1/nodes/{franchise.node_id}/sales", headers=franchise.auth))
    assert [sale["sale_id"] for sale in page["items"]] == [s["sale_id"] for s in reversed(sold)]
    assert [sale["amount_tetri"] for sale in page["items"]] == [1_234, 2_500, 10_000]
    assert {sale["receipt_status"] for sale in page["items"]} == {"ACTIVE"}
    assert page["items"][0]["receipt_id"] == sold[-1]["receipt_id"]
    assert "activation_code" not in page["items"][0]
    assert page["next_cursor"] is None
    # Totals: the three sales and the completed app order. The franchisee's share by the
    # purchase rule (2400 bp of floor(A / 5) units): 480 + 120 + 59 + 240.
    assert page["totals"] == {
        "purchases": 4,
        "volume_tetri": 18_734,
        "franchisee_thp_units": 899,
    }
    # All of it is in the franchisee's wallet: what the ledger credited them.
    wallet = ok(await client.get("/api/v1/wallets/me", headers=franchise.auth))
    assert wallet["thp_units"] == 899
    # The network owner reads it too.
    owned = ok(
        await client.get(f"/api/v1/nodes/{franchise.node_id}/sales", headers=world.auth("owner"))
    )
    assert owned["totals"] == page["totals"]


async def test_sales_are_paged_by_keyset_while_new_ones_arrive(
    client: httpx.AsyncClient, world: World
) -> None:
    franchise = await new_franchise(world)
    item = await _stocked_item(world, franchise, 1_000)
    sold = [(await till_sale(world, franchise, item))["sale_id"] for _ in range(5)]
    path = f"/api/v1/nodes/{franchise.node_id}/sales"
    first = ok(await client.get(path, params={"limit": 2}, headers=franchise.auth))
    assert [s["sale_id"] for s in first["items"]] == sold[:-3:-1]
    assert first["next_cursor"]
    # A sale recorded meanwhile does not shift the next page (an offset would).
    await till_sale(world, franchise, item)
    second = ok(
        await client.get(
            path, params={"limit": 2, "cursor": first["next_cursor"]}, headers=franchise.auth
        )
    )
    assert [s["sale_id"] for s in second["items"]] == [sold[2], sold[1]]
    third = ok(
        await client.get(
            path, params={"limit": 2, "cursor": second["next_cursor"]}, headers=franchise.auth
        )
    )
    assert [s["sale_id"] for s in third["items"]] == [sold[0]]
    assert third["next_cursor"] is None
    assert third["totals"]["purchases"] == 6
    bad = await client.get(path, params={"cursor": "yesterday"}, headers=franchise.auth)
    assert bad.status_code == 422
    assert "cursor" in bad.text


async def test_another_franchisee_s_node_is_refused_in_words(
    client: httpx.AsyncClient, world: World
) -> None:
    mine = await new_franchise(world)
    theirs = await new_franchise(world, city="Batumi")
    item = await _stocked_item(world, theirs, 1_500)
    await till_sale(world, theirs, item)
    refused = await client.get(f"/api/v1/nodes/{theirs.node_id}/sales", headers=mine.auth)
    assert refused.status_code == 403
    body = refused.json()
    assert body["code"] == "forbidden"
    assert body["detail"] == "only the network owner or this node's franchisee may"
    assert "amount_tetri" not in refused.text
    for role in ("customer", "chef_b", "compliance"):
        response = await client.get(
            f"/api/v1/nodes/{theirs.node_id}/sales", headers=world.auth(role)
        )
        assert response.status_code == 403, role
    unknown = await client.get(f"/api/v1/nodes/{uuid.uuid4()}/sales", headers=world.auth("owner"))
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "node_not_found"


async def test_an_owner_node_has_no_franchisee_share(
    client: httpx.AsyncClient, world: World
) -> None:
    page = ok(await client.get(f"/api/v1/nodes/{world.node_a}/sales", headers=world.auth("owner")))
    assert page["totals"]["franchisee_thp_units"] is None
    # The session's franchisee is node B's, not node A's.
    refused = await client.get(
        f"/api/v1/nodes/{world.node_a}/sales", headers=world.auth("franchisee")
    )
    assert refused.status_code == 403


async def test_open_orders_are_every_open_state_oldest_first(
    client: httpx.AsyncClient, world: World
) -> None:
    franchise = await new_franchise(world)
    item = await _stocked_item(world, franchise, 900)
    _, customer = await world.customer()
    placed = [(await world.order(customer, franchise.node_id, item))["id"] for _ in range(6)]
    moves = {
        placed[0]: ("CONFIRMED", "IN_PROGRESS", "READY"),
        placed[1]: ("CONFIRMED", "IN_PROGRESS"),
        placed[2]: ("CONFIRMED",),
        placed[3]: ("CANCELLED",),
        placed[4]: ("CONFIRMED", "IN_PROGRESS", "READY", "COMPLETED"),
    }
    for order_id, statuses in moves.items():
        for status in statuses:
            body = {"status": status, **({"reason": "test"} if status == "CANCELLED" else {})}
            ok(
                await client.post(
                    f"/api/v1/orders/{order_id}/transitions", json=body, headers=franchise.auth
                )
            )
    path = f"/api/v1/nodes/{franchise.node_id}/orders/open"
    page = ok(await client.get(path, headers=franchise.auth))
    assert [order["id"] for order in page["items"]] == [placed[0], placed[1], placed[2], placed[5]]
    assert [order["status"] for order in page["items"]] == [
        "READY",
        "IN_PROGRESS",
        "CONFIRMED",
        "PENDING",
    ]
    assert page["items"][0]["lines"][0]["item_id"] == item
    assert page["next_offset"] is None
    paged = ok(await client.get(path, params={"limit": 3}, headers=franchise.auth))
    assert [order["id"] for order in paged["items"]] == placed[:3]
    assert paged["next_offset"] == 3
    # The network owner sees it; another node's staff and customers do not.
    assert len(ok(await client.get(path, headers=world.auth("owner")))["items"]) == 4
    for role in ("chef", "franchisee", "customer", "compliance"):
        refused = await client.get(path, headers=world.auth(role))
        assert refused.status_code == 403, role
    refused = await client.get(path, headers=bearer(customer))
    assert refused.json()["detail"] == "the kitchen's queue is for the node's staff"
