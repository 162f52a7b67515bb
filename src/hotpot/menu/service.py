"""Menu: the owner's edits and the public read, served as cached bytes with an ETag."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from uuid import UUID, uuid4

import orjson
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.context import AppContext
from hotpot.domain.access import AccessRole, Actor
from hotpot.domain.errors import Conflict, Forbidden, NotFound
from hotpot.domain.menu import (
    Ingredient,
    Item,
    ItemStatus,
    Portions,
    may_change_status,
    may_read_item,
)
from hotpot.domain.results import Slice
from hotpot.menu import repository as repo
from hotpot.menu.cache import invalidate, invalidate_all, menu_key
from hotpot.menu.schemas import ItemIn, ItemOut, ItemPatch, MenuEntry, MenuOut
from hotpot.network import repository as network_repo


def _item_not_found() -> NotFound:
    return NotFound("item_not_found", "no menu item with this id")


@dataclass(frozen=True)
class RenderedMenu:
    body: bytes
    etag: str


def _item(row: RowMapping, ingredients: list[RowMapping]) -> Item:
    return Item(
        id=row["id"],
        name=row["name"],
        description=row["description"],
        price_tetri=row["price_tetri"],
        priority=row["priority"],
        cooking_minutes=row["cooking_minutes"],
        status=ItemStatus(row["status"]),
        ingredients=tuple(Ingredient(g["name"], g["grams"], g["kcal"]) for g in ingredients),
    )


async def _items(conn: AsyncConnection, rows: list[RowMapping]) -> list[Item]:
    ingredients = await repo.ingredients_of(conn, [row["id"] for row in rows])
    return [_item(row, ingredients.get(row["id"], [])) for row in rows]


async def create_item(ctx: AppContext, data: ItemIn, actor_id: UUID) -> Item:
    """Only the owner adds items straight to the menu: they start ACTIVE."""
    item_id = uuid4()
    async with ctx.db.transaction() as conn:
        await repo.insert_item(
            conn,
            {
                "id": item_id,
                **data.model_dump(exclude={"ingredients"}),
                "status": ItemStatus.ACTIVE.value,
                "proposed_by": actor_id,
            },
        )
        await repo.replace_ingredients(conn, item_id, [g.model_dump() for g in data.ingredients])
        rows = await repo.items(conn, ids=[item_id])
        (item,) = await _items(conn, rows)
    await invalidate_all(ctx)
    return item


async def update_item(ctx: AppContext, item_id: UUID, data: ItemPatch) -> Item:
    values = data.model_dump(exclude_unset=True, exclude={"ingredients", "status"})
    async with ctx.db.transaction() as conn:
        current = await repo.item_for_update(conn, item_id)
        if current is None:
            raise _item_not_found()
        if data.status is not None:
            if not may_change_status(ItemStatus(current["status"]), data.status):
                raise Conflict(
                    "invalid_status_change",
                    f"an item in {current['status']} cannot be set to {data.status}",
                )
            values["status"] = data.status.value
        if values:
            await repo.update_item(conn, item_id, values)
        if data.ingredients is not None:
            await repo.replace_ingredients(
                conn, item_id, [g.model_dump() for g in data.ingredients]
            )
        (item,) = await _items(conn, await repo.items(conn, ids=[item_id]))
    await invalidate_all(ctx)
    return item


async def get_item(ctx: AppContext, item_id: UUID, reader: AccessRole | None) -> Item:
    """One item, if `reader` (None: anonymous) may see its status; else not found."""
    async with ctx.db.read() as conn:
        rows = await repo.items(conn, ids=[item_id])
        if not rows or not may_read_item(reader, ItemStatus(rows[0]["status"])):
            raise _item_not_found()
        (item,) = await _items(conn, rows)
    return item


async def list_items(
    ctx: AppContext, status: ItemStatus | None, limit: int, offset: int
) -> Slice[Item]:
    async with ctx.db.read() as conn:
        rows = await repo.items(
            conn, status=status.value if status else None, limit=limit + 1, offset=offset
        )
        return Slice(await _items(conn, rows[:limit]), len(rows) > limit)


async def _render(ctx: AppContext, node_id: UUID | None) -> bytes:
    async with ctx.db.read() as conn:
        portions: dict[UUID, int] | None = None
        if node_id is not None:
            if not await network_repo.node_active(conn, node_id):
                raise NotFound("node_not_found", "no active node with this id")
            portions = await repo.portions_at(conn, node_id)
        items = await _items(conn, await repo.items(conn, status=ItemStatus.ACTIVE.value))
    entries = []
    for item in items:
        left = None if portions is None else portions.get(item.id, 0)
        entries.append(
            MenuEntry(
                **ItemOut.model_validate(item).model_dump(),
                portions=left,
                sold_out=None if left is None else left == 0,
            )
        )
    return orjson.dumps(MenuOut(node_id=node_id, items=entries).model_dump(mode="json"))


@functools.lru_cache(maxsize=256)
def _etag(body: bytes) -> str:
    # Keyed by the cached body itself: a near copy is the same object every time, and a
    # bytes object keeps its hash, so a hit costs neither a hash of the body nor a SHA-256.
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def cached_public_menu(ctx: AppContext, node_id: UUID | None) -> RenderedMenu | None:
    """The menu from this process's copy when it may be served, else None; no I/O."""
    body = ctx.cache.peek(menu_key(node_id))
    return None if body is None else RenderedMenu(body=body, etag=_etag(body))


async def public_menu(ctx: AppContext, node_id: UUID | None) -> RenderedMenu:
    """The customer-facing menu: cached (this process's copy, else Redis's), else rendered."""
    body = await ctx.cache.read_through(
        menu_key(node_id), ctx.settings.menu_cache_ttl_seconds, lambda: _render(ctx, node_id)
    )
    return RenderedMenu(body=body, etag=_etag(body))


_STOCK_KEEPERS = frozenset(
    {AccessRole.OWNER, AccessRole.FRANCHISEE, AccessRole.CHEF, AccessRole.TERMINAL}
)


async def set_portions(
    ctx: AppContext, actor: Actor, node_id: UUID, item_id: UUID, portions: int
) -> Portions:
    """Set how many portions of an item a node has left (its staff or terminal only)."""
    if actor.role not in _STOCK_KEEPERS or not actor.acts_at(node_id):
        raise Forbidden("forbidden", "only staff or a terminal of this node may set its stock")
    async with ctx.db.transaction() as conn:
        if await network_repo.node(conn, node_id) is None:
            raise NotFound("node_not_found", "no node with this id")
        if not await repo.item_exists(conn, item_id):
            raise _item_not_found()
        await repo.set_portions(conn, node_id, item_id, portions)
    await invalidate(ctx, [node_id])
    return Portions(node_id=node_id, item_id=item_id, portions=portions)
