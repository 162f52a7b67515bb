"""The page envelope of list responses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from pydantic import Field

from hotpot.domain.results import Slice
from hotpot.validation import Out

T = TypeVar("T")


class Page(Out, Generic[T]):
    items: list[T]
    limit: int = Field(ge=1, le=100)
    offset: int = Field(ge=0)
    next_offset: int | None = Field(
        default=None, description="offset of the next page; null on the last page"
    )


def page_of(items: list[T], limit: int, offset: int) -> Page[T]:
    """Callers fetch limit+1 rows; the extra one only tells that another page exists."""
    has_more = len(items) > limit
    return Page[T](
        items=items[:limit],
        limit=limit,
        offset=offset,
        next_offset=offset + limit if has_more else None,
    )


def page_from(found: Slice[Any], out: Callable[[Any], T], limit: int, offset: int) -> Page[T]:
    """A service's slice of domain values as a page, each value mapped by `out`
    (usually the response model's `model_validate`)."""
    return Page[T](
        items=[out(item) for item in found.items],
        limit=limit,
        offset=offset,
        next_offset=offset + limit if found.has_more else None,
    )
