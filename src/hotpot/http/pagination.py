"""Query parameters shared by every paginated list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query


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
