"""settlement batches, relay state and chain deployments

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chain_deployments",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("deployer", sa.Text(), nullable=False),
        sa.Column("thp", sa.Text(), nullable=False),
        sa.Column("spot", sa.Text(), nullable=False),
        sa.Column("registry", sa.Text(), nullable=False),
        sa.Column("anchor", sa.Text(), nullable=False),
        sa.Column("source_hash", sa.Text(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index("ix_chain_deployments_chain", "chain_deployments", ["chain_id", "id"])
    op.create_table(
        "settlement_batches",
        sa.Column("batch_id", sa.Text(), primary_key=True),
        sa.Column(
            "deployment_id",
            sa.BigInteger(),
            sa.ForeignKey("chain_deployments.id"),
            nullable=False,
        ),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("merkle_root", sa.Text(), nullable=False),
        sa.Column("cid", sa.Text(), nullable=False),
        sa.Column("leaves", postgresql.JSONB(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("tx_hash", sa.Text(), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'settled', 'abandoned')", name="status"),
    )
    op.create_index("ix_settlement_batches_status", "settlement_batches", ["status", "created_at"])
    op.create_table(
        "settlement_records",
        sa.Column("ref_kind", sa.Text(), nullable=False),
        sa.Column("ref_id", sa.Text(), nullable=False),
        sa.Column(
            "batch_id",
            sa.Text(),
            sa.ForeignKey("settlement_batches.batch_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("leaf_index", sa.Integer(), nullable=False),
        sa.Column("cid", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("ref_kind", "ref_id"),
        sa.CheckConstraint("ref_kind IN ('order', 'receipt')", name="ref_kind"),
    )
    op.create_index("ix_settlement_records_batch", "settlement_records", ["batch_id"])


def downgrade() -> None:
    op.drop_index("ix_settlement_records_batch", table_name="settlement_records")
    op.drop_table("settlement_records")
    op.drop_index("ix_settlement_batches_status", table_name="settlement_batches")
    op.drop_table("settlement_batches")
    op.drop_index("ix_chain_deployments_chain", table_name="chain_deployments")
    op.drop_table("chain_deployments")
