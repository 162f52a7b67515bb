"""Who reads one menu item in which status (issue 10, item 17; docs/menu.md)."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import update

from hotpot.context import AppContext
from hotpot.domain.menu import ItemStatus
from hotpot.menu.tables import menu_items
from tests.support import World

VOTERS_AND_STAFF = ("customer", "chef", "cashier", "franchisee", "compliance")
IN_A_VOTE = (ItemStatus.PROPOSED, ItemStatus.VOTING, ItemStatus.APPROVED)
OFF_THE_MENU = (ItemStatus.REJECTED, ItemStatus.RETIRED)


async def item_in(world: World, ctx: AppContext, status: ItemStatus) -> str:
    item = await world.item(price=2_000, portions=1)
    async with ctx.db.transaction() as conn:
        await conn.execute(
            update(menu_items).where(menu_items.c.id == uuid.UUID(item)).values(status=status)
        )
    return item


async def read(client: httpx.AsyncClient, world: World, item: str, role: str | None) -> int:
    headers = world.auth(role) if role else {}
    return (await client.get(f"/api/v1/menu/items/{item}", headers=headers)).status_code


@pytest.mark.parametrize("status", list(ItemStatus))
async def test_each_role_reads_what_it_may(
    client: httpx.AsyncClient, world: World, ctx: AppContext, status: ItemStatus
) -> None:
    item = await item_in(world, ctx, status)
    assert await read(client, world, item, "owner") == 200
    public = 200 if status is ItemStatus.ACTIVE else 404
    assert await read(client, world, item, None) == public
    assert await read(client, world, item, "terminal") == public
    voters = 200 if status is ItemStatus.ACTIVE or status in IN_A_VOTE else 404
    for role in VOTERS_AND_STAFF:
        assert await read(client, world, item, role) == voters, role
    if status in OFF_THE_MENU:
        assert voters == 404


async def test_a_dish_in_a_vote_shows_its_ingredients_and_kcal(
    client: httpx.AsyncClient, world: World, ctx: AppContext
) -> None:
    item = await item_in(world, ctx, ItemStatus.VOTING)
    found = await client.get(f"/api/v1/menu/items/{item}", headers=world.auth("customer"))
    assert found.status_code == 200
    body = found.json()
    assert body["status"] == "VOTING"
    assert body["total_kcal"] == sum(i["kcal"] for i in body["ingredients"])


async def test_a_bad_token_is_refused_not_taken_as_anonymous(
    client: httpx.AsyncClient, world: World, ctx: AppContext
) -> None:
    item = await item_in(world, ctx, ItemStatus.ACTIVE)
    bad = await client.get(
        f"/api/v1/menu/items/{item}", headers={"Authorization": "Bearer not-a-token"}
    )
    assert bad.status_code == 401 and bad.json()["code"] == "invalid_token"
