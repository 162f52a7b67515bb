"""Query parameters shared by every paginated list."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar
from uuid import UUID

from fastapi import Depends, Query

from hotpot.domain.results import Slice

T = TypeVar("T")


@dataclass(frozen=True)
class PageParams:
    limit: int
    offset: int


async def _page_params(  # async: a `def` one would run on a worker thread
    limit: Annotated[int, Query(ge=1, le=100, description="page size")] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="items to skip")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


Paging = Annotated[PageParams, Depends(_page_params)]


def keyset_cursor(pattern: str) -> Any:
    """The `cursor` parameter of a list paged by keyset (stable while rows are added)."""
    return Query(
        pattern=pattern,
        description="next_cursor of the previous page (keyset paging); with `offset`,"
        " that many items after the cursor are skipped",
    )


# A row's place in a newest-first list ordered by a moment then an id (a sale's time, a
# receipt's expiry): microseconds since 1970 and the id. 17 digits reach the year 5138, so
# every cursor the pattern admits is a valid moment.
MOMENT_CURSOR_PATTERN = r"^[0-9]{1,17}\.[0-9a-f]{32}$"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def moment_cursor(at: datetime, row_id: UUID) -> str:
    micros = (at - _EPOCH) // timedelta(microseconds=1)
    return f"{micros}.{row_id.hex}"


def moment_position(cursor: str) -> tuple[datetime, UUID]:
    """The (moment, id) a cursor of MOMENT_CURSOR_PATTERN names."""
    micros, row_id = cursor.split(".")
    return _EPOCH + timedelta(microseconds=int(micros)), UUID(row_id)


def next_moment_cursor(
    found: Slice[T], position: Callable[[T], tuple[datetime, UUID]]
) -> str | None:
    """The cursor of the page after `found` (its last row's place), None on the last page."""
    if not (found.items and found.has_more):
        return None
    return moment_cursor(*position(found.items[-1]))
