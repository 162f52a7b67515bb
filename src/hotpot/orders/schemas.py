"""Request and response bodies of the orders slice."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import Field

from hotpot.domain.orders import OrderStatus
from hotpot.validation import FROM_JSON_STRING, Id, Out, Strict, line


class LineIn(Strict):
    item_id: Id
    quantity: int = Field(ge=1, le=100)


class OrderIn(Strict):
    node_id: Id
    lines: list[LineIn] = Field(min_length=1, max_length=50)


class TransitionIn(Strict):
    status: Annotated[OrderStatus, FROM_JSON_STRING]
    reason: str | None = line(default=None, max_length=500)


class LineOut(Out):
    item_id: UUID
    quantity: int
    unit_price_tetri: int
    line_total_tetri: int


class OrderOut(Out):
    id: UUID
    customer_id: UUID
    node_id: UUID
    status: OrderStatus
    total_tetri: int
    cancel_reason: str | None
    lines: list[LineOut]
    created_at: datetime
    updated_at: datetime
