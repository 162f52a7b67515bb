"""node_sales.franchisee_thp_units: the THP a node's purchases minted to its franchisee

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "node_sales",
        sa.Column("franchisee_thp_units", sa.BigInteger(), nullable=False, server_default="0"),
    )
    # What the ledger credited each node's franchisee so far: their mint entries of the
    # node's purchases (the franchisee on record now; a node's franchisee rarely changes).
    op.execute(
        "UPDATE node_sales SET franchisee_thp_units = earned.units FROM ("
        " SELECT p.node_id, sum(e.units) AS units FROM purchases p"
        " JOIN nodes n ON n.id = p.node_id"
        " JOIN ledger_entries e ON e.ref_kind = p.ref_kind AND e.ref_id = p.ref_id"
        " WHERE n.type = 'FRANCHISE' AND n.owner_account_id IS NOT NULL"
        " AND e.kind = 'mint' AND e.token = 'THP'"
        " AND e.to_holder = 'acct:' || n.owner_account_id::text"
        " GROUP BY p.node_id) AS earned"
        " WHERE node_sales.node_id = earned.node_id"
    )


def downgrade() -> None:
    op.drop_column("node_sales", "franchisee_thp_units")
