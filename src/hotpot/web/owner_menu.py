"""The owner console's menu: every item (any status), create, edit, retire, and the
portions each restaurant has left (sold out is none left)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from hotpot.domain.access import AccessRole, Actor
from hotpot.domain.errors import DomainError, Invalid
from hotpot.domain.menu import Item, ItemStatus
from hotpot.http.context import Ctx
from hotpot.menu import service as menu
from hotpot.menu.schemas import ItemIn, ItemPatch
from hotpot.network.schemas import AvailabilityIn
from hotpot.web.common import (
    PageOffset,
    active_nodes,
    node_menu,
    owner_only,
    pages_router,
    parse_uuid,
    refusal,
    tetri,
    typed,
    validated,
    whole_number,
)
from hotpot.web.session import Form, FormData, WebActor
from hotpot.web.templating import page

router = pages_router()

ITEMS_PER_PAGE = 50
MAX_INGREDIENTS = 50


def ingredients(text: str) -> list[dict[str, Any]]:
    """One ingredient a line, `name, grams, kcal` (a name may itself hold commas)."""
    found = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [part.strip() for part in raw.rsplit(",", 2)]
        if len(parts) != 3 or not parts[0]:
            raise Invalid(
                "validation_error",
                f"ingredient line {number}: write it as name, grams, kcal (like: broth, 300, 120)",
            )
        grams = whole_number(parts[1], f"ingredient line {number}, grams")
        kcal = whole_number(parts[2], f"ingredient line {number}, kcal")
        found.append({"name": parts[0], "grams": grams or 0, "kcal": kcal or 0})
    return found


def _item_fields(form: FormData) -> dict[str, Any]:
    """The item form's fields as the menu service's request body (blank: its default)."""
    data: dict[str, Any] = {
        "name": form.one("name"),
        "description": form.one("description"),
        "price_tetri": tetri(form.one("price"), "price"),
        "ingredients": ingredients(form.one("ingredients")),
    }
    for field, what in (("priority", "priority"), ("cooking_minutes", "cooking time")):
        value = whole_number(form.one(field), what)
        if value is not None:
            data[field] = value
    return data


def ingredients_text(item: Item) -> str:
    return "\n".join(f"{g.name}, {g.grams}, {g.kcal}" for g in item.ingredients)


async def _menu_page(
    request: Request,
    ctx: Ctx,
    offset: int = 0,
    *,
    error: str | None = None,
    status_code: int = 200,
    values: dict[str, str] | None = None,
) -> Response:
    found = await menu.list_items(ctx, None, ITEMS_PER_PAGE, offset)
    return page(
        request,
        "owner/menu.html",
        status_code=status_code,
        items=found.items,
        offset=offset,
        next_offset=offset + ITEMS_PER_PAGE if found.has_more else None,
        error=error,
        values=values or {},
    )


@router.get("/owner/menu")
async def menu_page(
    request: Request,
    ctx: Ctx,
    actor: WebActor,
    offset: PageOffset = 0,
) -> Response:
    await owner_only(actor)
    return await _menu_page(request, ctx, offset)


@router.post("/owner/menu/items")
async def create_item(request: Request, ctx: Ctx, form: Form, actor: WebActor) -> Response:
    owner = await owner_only(actor)
    try:
        body = validated(ItemIn, _item_fields(form))
        item = await menu.create_item(ctx, body, owner.id)
    except DomainError as exc:
        values = typed(form)
        return await _menu_page(request, ctx, **refusal(exc), values=values)
    return RedirectResponse(f"/app/owner/menu/items/{item.id}", status_code=303)


async def _availability(ctx: Ctx, item: Item) -> list[dict[str, Any]]:
    """Portions left per active restaurant, as each one's public menu shows them."""
    if item.status is not ItemStatus.ACTIVE:
        return []  # only ACTIVE items are on a menu
    rows = []
    for node in await active_nodes(ctx):
        entry = next((i for i in await node_menu(ctx, node.id) if i["id"] == str(item.id)), None)
        portions = int(entry["portions"] or 0) if entry else 0
        rows.append({"node": node, "portions": portions, "sold_out": portions == 0})
    return rows


async def _item_page(
    request: Request,
    ctx: Ctx,
    item_id: UUID,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    item = await menu.get_item(ctx, item_id, AccessRole.OWNER)
    return page(
        request,
        "owner/item.html",
        status_code=status_code,
        item=item,
        ingredients=ingredients_text(item),
        availability=await _availability(ctx, item),
        error=error,
    )


@router.get("/owner/menu/items/{item_id}")
async def item_page(item_id: str, request: Request, ctx: Ctx, actor: WebActor) -> Response:
    await owner_only(actor)
    return await _item_page(request, ctx, parse_uuid(item_id, "menu item"))


async def _change(
    request: Request, ctx: Ctx, actor: Actor, item_id: str, data: dict[str, Any]
) -> Response:
    """Apply the ItemPatch made from `data`; a refusal is shown on the item's page."""
    await owner_only(actor)
    wanted = parse_uuid(item_id, "menu item")
    try:
        await menu.update_item(ctx, wanted, validated(ItemPatch, data))
    except DomainError as exc:
        return await _item_page(request, ctx, wanted, **refusal(exc))
    return RedirectResponse(f"/app/owner/menu/items/{wanted}", status_code=303)


@router.post("/owner/menu/items/{item_id}")
async def edit_item(
    item_id: str, request: Request, ctx: Ctx, form: Form, actor: WebActor
) -> Response:
    await owner_only(actor)
    try:
        data = _item_fields(form)
    except DomainError as exc:
        wanted = parse_uuid(item_id, "menu item")
        return await _item_page(request, ctx, wanted, **refusal(exc))
    return await _change(request, ctx, actor, item_id, data)


@router.post("/owner/menu/items/{item_id}/status")
async def set_status(
    item_id: str, request: Request, ctx: Ctx, form: Form, actor: WebActor
) -> Response:
    """Retire an item (off every menu) or put a retired one back."""
    return await _change(request, ctx, actor, item_id, {"status": form.one("status")})


@router.post("/owner/menu/items/{item_id}/availability")
async def set_availability(
    item_id: str, request: Request, ctx: Ctx, form: Form, actor: WebActor
) -> Response:
    """Portions left at one restaurant; the "Sold out" button sends none."""
    await owner_only(actor)
    wanted = parse_uuid(item_id, "menu item")
    try:
        node_id = parse_uuid(form.one("node_id"), "restaurant")
        portions = whole_number(form.one("portions"), "portions")
        if portions is None:
            raise Invalid("validation_error", "portions: how many are left, like 20 (0: sold out)")
        body = validated(AvailabilityIn, {"portions": portions})
        await menu.set_portions(ctx, actor, node_id, wanted, body.portions)
    except DomainError as exc:
        return await _item_page(request, ctx, wanted, **refusal(exc))
    return RedirectResponse(f"/app/owner/menu/items/{wanted}", status_code=303)
