"""The page envelope of list responses."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import Field

from hotpot.domain.results import Slice
from hotpot.validation import Out

T = TypeVar("T")
M = TypeVar("M", bound=Out)


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


def page_from(found: Slice[Any], model: type[M], limit: int, offset: int) -> Page[M]:
    """The page of response models for a service's Slice of domain values."""
    return Page[model](  # type: ignore[valid-type]
        items=[model.model_validate(value) for value in found.items],
        limit=limit,
        offset=offset,
        next_offset=offset + limit if found.has_more else None,
    )
