"""Request and response bodies of the menu slice."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import Field

from hotpot.domain.menu import DEFAULT_COOKING_MINUTES, DEFAULT_PRIORITY, ItemStatus
from hotpot.validation import FROM_JSON_STRING, Out, Strict, line, omittable, prose


class IngredientIn(Strict):
    name: str = line()
    grams: int = Field(ge=0, le=10_000)
    kcal: int = Field(ge=0, le=20_000)


class IngredientOut(Out):
    name: str
    grams: int
    kcal: int


class ItemIn(Strict):
    name: str = line()
    description: str = prose(default="")
    price_tetri: int = Field(gt=0, le=100_000_000, description="price in tetri (1 GEL = 100)")
    priority: int = Field(default=DEFAULT_PRIORITY, ge=1, le=10)
    cooking_minutes: int = Field(default=DEFAULT_COOKING_MINUTES, ge=1, le=600)
    ingredients: list[IngredientIn] = Field(default_factory=list, max_length=50)


class ItemPatch(Strict):
    """An omitted field keeps its value; none may be null (every one always has a value)."""

    name: str = line(omittable=True)
    description: str = prose(omittable=True)
    price_tetri: int = omittable(gt=0, le=100_000_000, description="price in tetri")
    priority: int = omittable(ge=1, le=10)
    cooking_minutes: int = omittable(ge=1, le=600)
    ingredients: list[IngredientIn] = omittable(max_length=50, description="replaces them all")
    status: Annotated[ItemStatus, FROM_JSON_STRING] = omittable()


class ItemOut(Out):
    id: UUID
    name: str
    description: str
    price_tetri: int
    priority: int
    cooking_minutes: int
    status: ItemStatus
    ingredients: list[IngredientOut]
    total_kcal: int


class MenuEntry(ItemOut):
    portions: int | None = Field(default=None, description="portions left at the node asked for")
    sold_out: bool | None = None


class MenuOut(Out):
    node_id: UUID | None
    items: list[MenuEntry]
