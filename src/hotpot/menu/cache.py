"""Keys of the cached public menu and their invalidation (called after every menu change)."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from hotpot.context import AppContext
from hotpot.network import repository as network_repo

_PREFIX = "menu:v1:"


def menu_key(node_id: UUID | None) -> str:
    return f"{_PREFIX}{node_id or 'all'}"


async def invalidate(ctx: AppContext, node_ids: Iterable[UUID]) -> None:
    """After a change at these nodes (portions left, a node (de)activated).

    The network menu (no node) shows neither portions nor nodes: it stays cached, so an
    order or a sale does not make every worker render it again.
    """
    names = [menu_key(node) for node in node_ids]
    if names:
        await ctx.cache.delete(*names)


async def invalidate_all(ctx: AppContext) -> None:
    """After a change to the items themselves: every menu."""
    async with ctx.db.read() as conn:
        node_ids = await network_repo.node_ids(conn)
    await ctx.cache.delete(menu_key(None), *(menu_key(node) for node in node_ids))
