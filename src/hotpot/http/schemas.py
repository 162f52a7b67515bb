"""Base request/response models: unknown fields are refused (422)."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")

# Text we store: no NUL or other control characters (PostgreSQL refuses NUL in text, and
# control characters in names only ever cause trouble downstream).
_LINE = r"^[^\x00-\x1f\x7f]*$"
_PROSE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


def line(min_length: int = 1, max_length: int = 100, **extra: Any) -> Any:
    """A one-line text field."""
    return Field(min_length=min_length, max_length=max_length, pattern=_LINE, **extra)


def prose(max_length: int = 2000, **extra: Any) -> Any:
    """A free text field (newlines and tabs allowed)."""
    return Field(max_length=max_length, pattern=_PROSE, **extra)


class Strict(BaseModel):
    """Request bodies: an unknown field is an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


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
