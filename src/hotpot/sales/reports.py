"""What a node's franchisee (and the network owner) reads of its walk-in sales.

The list is the sales slice's own rows, paged by keyset; the totals are the ledger's running
figures of the node (walk-in sales and completed app orders alike) and the THP the ledger
credited the node's franchisee, so they need no scan of the sales.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.engine import RowMapping

from hotpot.context import AppContext
from hotpot.domain.access import Actor
from hotpot.domain.errors import NotFound
from hotpot.domain.receipts import ReceiptStatus
from hotpot.domain.results import Slice
from hotpot.domain.sales import NodeSale, NodeSales
from hotpot.domain.tokenomics import NodeType
from hotpot.ledger import service as ledger
from hotpot.network import repository as network_repo
from hotpot.network.service import require_node_manager
from hotpot.sales import repository as repo


def _sale(row: RowMapping) -> NodeSale:
    return NodeSale(
        sale_id=row["id"],
        terminal_id=row["terminal_id"],
        terminal_sale_id=row["terminal_sale_id"],
        amount_tetri=row["amount_tetri"],
        receipt_id=row["receipt_id"],
        receipt_status=ReceiptStatus(row["receipt_status"]),
        created_at=row["created_at"],
    )


async def node_sales(
    ctx: AppContext,
    actor: Actor,
    node_id: UUID,
    limit: int,
    offset: int = 0,
    before: tuple[datetime, UUID] | None = None,
) -> NodeSales:
    """The node's sales, newest first (older than `before` when given), and its totals.

    Only the network owner and the node's own franchisee: another franchisee is refused.
    """
    require_node_manager(actor, node_id)
    async with ctx.db.read() as conn:
        node = await network_repo.node(conn, node_id)
        if node is None:
            raise NotFound("node_not_found", "no node with this id")
        rows = await repo.node_sales(conn, node_id, limit + 1, offset, before)
        figures = await ledger.node_figures(
            conn, node_id, NodeType(node["type"]), node["owner_account_id"]
        )
    return NodeSales(Slice.of([_sale(row) for row in rows], limit), figures)
