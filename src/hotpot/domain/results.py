"""Generic results a service returns beside its domain values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Recorded(Generic[T]):
    """The outcome of an idempotent write: the value, and whether this call created it
    (False: an earlier call with the same key already had, and this is its value)."""

    value: T
    created: bool


@dataclass(frozen=True)
class Slice(Generic[T]):
    """One page of a list: the items, and whether more follow after them."""

    items: list[T]
    has_more: bool

    @classmethod
    def of(cls, fetched: list[T], limit: int) -> Slice[T]:
        """From `limit + 1` fetched items: the first `limit`, and whether another followed."""
        return cls(fetched[:limit], len(fetched) > limit)
