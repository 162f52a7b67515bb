"""the receipts behind the unclaimed pool, paged by keyset: (closed_at, id) of EXPIRED ones

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_receipts_expired",
        "receipts",
        ["closed_at", "id"],
        unique=False,
        postgresql_where=sa.text("status = 'EXPIRED'"),
    )


def downgrade() -> None:
    op.drop_index("ix_receipts_expired", table_name="receipts")
