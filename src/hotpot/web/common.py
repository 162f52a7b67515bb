"""What several pages share: the routers, form parsing into the services' own request
models, and the menu of a node as the public menu service renders it."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar
from uuid import UUID

import orjson
from fastapi import APIRouter, Query
from pydantic import BaseModel, ValidationError

from hotpot.context import AppContext
from hotpot.domain.access import AccessRole
from hotpot.domain.amounts import hundredths
from hotpot.domain.errors import DomainError, Invalid, NotFound
from hotpot.http.auth import require_roles
from hotpot.http.problems import status_of
from hotpot.menu import service as menu
from hotpot.network import service as network
from hotpot.web.errors import HtmlErrorsRoute
from hotpot.web.session import CSRF_FIELD, FormData

M = TypeVar("M", bound=BaseModel)

MAX_NODES = 200
QTY_PREFIX = "qty-"
# A price field's GEL: at most 9,999,999.99.
MAX_WHOLE_GEL_DIGITS = 7

# A list page's `?offset=` (its "More" link), bounded like the API's.
PageOffset = Annotated[int, Query(ge=0, le=1_000_000)]

# The owner console's door: the API's own role check, so its words are the API's.
owner_only = require_roles(AccessRole.OWNER)


def pages_router() -> APIRouter:
    return APIRouter(prefix="/app", route_class=HtmlErrorsRoute, include_in_schema=False)


def validated(model: type[M], data: dict[str, Any]) -> M:
    """The service's request model from form fields; its first complaint in words."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ()) if part != "__root__")
        message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
        raise Invalid("validation_error", f"{where}: {message}" if where else message) from exc


def refusal(exc: DomainError) -> dict[str, Any]:
    """A form page shown again with the service's refusal: its words and its status."""
    return {"error": exc.detail, "status_code": status_of(exc)}


def typed(form: FormData, *leave_out: str) -> dict[str, str]:
    """What was typed, to fill a refused form in again (never the CSRF token)."""
    return {name: form.one(name) for name in form if name not in (CSRF_FIELD, *leave_out)}


def parse_uuid(value: str, what: str) -> UUID:
    try:
        return UUID(value)
    except ValueError as exc:
        raise NotFound("not_found", f"no {what} with this id") from exc


def whole_number(text: str, what: str) -> int | None:
    """A form's whole number (None when left blank), refused in words otherwise."""
    text = text.strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise Invalid("validation_error", f"{what}: a whole number, like 15")
    return int(text)


def tetri(text: str, what: str = "price") -> int:
    """'12.50', '12,5' or '12' GEL as integer tetri (1250, 1250, 1200): never a float."""
    amount = hundredths(text, MAX_WHOLE_GEL_DIGITS)
    if amount is None:
        raise Invalid("validation_error", f"{what}: an amount in GEL, such as 24.50")
    return amount


def quantities(form: FormData) -> list[dict[str, Any]]:
    """`qty-<item id>` fields as order or sale lines (zero and blank left out)."""
    lines = []
    for name, values in form.items():
        if not name.startswith(QTY_PREFIX):
            continue
        raw = (values[0] if values else "").strip() or "0"
        if not raw.isdigit():
            raise Invalid("validation_error", "a quantity is a whole number")
        quantity = int(raw)
        if quantity:
            lines.append({"item_id": name.removeprefix(QTY_PREFIX), "quantity": quantity})
    if not lines:
        raise Invalid("empty_cart", "choose at least one dish")
    return lines


async def active_nodes(ctx: AppContext) -> list[Any]:
    return (await network.list_nodes(ctx, True, MAX_NODES, 0)).items


async def node_named(ctx: AppContext, node_id: UUID) -> Any:
    for node in await active_nodes(ctx):
        if node.id == node_id:
            return node
    raise NotFound("node_not_found", "no active restaurant with this id")


async def node_menu(ctx: AppContext, node_id: UUID) -> list[dict[str, Any]]:
    """The node's ACTIVE items with portions left, as the public menu serves them."""
    rendered = await menu.public_menu(ctx, node_id)
    items: list[dict[str, Any]] = orjson.loads(rendered.body)["items"]
    return items
