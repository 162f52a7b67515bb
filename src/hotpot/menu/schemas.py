"""Request and response bodies of the menu slice."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from hotpot.domain.menu import DEFAULT_COOKING_MINUTES, DEFAULT_PRIORITY, ItemStatus
from hotpot.validation import Out, Strict, line, prose


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
    name: str | None = line(default=None)
    description: str | None = prose(default=None)
    price_tetri: int | None = Field(default=None, gt=0, le=100_000_000)
    priority: int | None = Field(default=None, ge=1, le=10)
    cooking_minutes: int | None = Field(default=None, ge=1, le=600)
    ingredients: list[IngredientIn] | None = Field(default=None, max_length=50)
    status: ItemStatus | None = None


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
