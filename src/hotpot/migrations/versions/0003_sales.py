"""walk-in sales, receipts, the unclaimed pool and its distributions

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sales",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("terminal_id", sa.UUID(), nullable=False),
        sa.Column("node_id", sa.UUID(), nullable=False),
        sa.Column("terminal_sale_id", sa.Text(), nullable=False),
        sa.Column("request_hash", sa.LargeBinary(), nullable=False),
        sa.Column("amount_tetri", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("amount_tetri >= 0", name=op.f("ck_sales_amount_non_negative")),
        sa.ForeignKeyConstraint(
            ["terminal_id"], ["terminals.id"], name=op.f("fk_sales_terminal_id_terminals")
        ),
        sa.ForeignKeyConstraint(["node_id"], ["nodes.id"], name=op.f("fk_sales_node_id_nodes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales")),
        sa.UniqueConstraint(
            "terminal_id",
            "terminal_sale_id",
            name=op.f("uq_sales_terminal_id_terminal_sale_id"),
        ),
    )
    op.create_index("ix_sales_node_created", "sales", ["node_id", "created_at"], unique=False)
    op.create_table(
        "sale_lines",
        sa.Column("sale_id", sa.UUID(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.UUID(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_tetri", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_sale_lines_quantity_positive")),
        sa.CheckConstraint("unit_price_tetri >= 0", name=op.f("ck_sale_lines_price_non_negative")),
        sa.ForeignKeyConstraint(
            ["sale_id"], ["sales.id"], name=op.f("fk_sale_lines_sale_id_sales")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["menu_items.id"], name=op.f("fk_sale_lines_item_id_menu_items")
        ),
        sa.PrimaryKeyConstraint("sale_id", "line_no", name=op.f("pk_sale_lines")),
    )
    op.create_table(
        "receipts",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("sale_id", sa.UUID(), nullable=False),
        sa.Column("node_id", sa.UUID(), nullable=False),
        sa.Column("thp_units", sa.BigInteger(), nullable=False),
        sa.Column("spot_units", sa.BigInteger(), nullable=False),
        sa.Column("code_hash", sa.Text(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.UUID(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("spot_burned_units", sa.BigInteger(), server_default="0", nullable=False),
        sa.CheckConstraint(
            "status IN ('ACTIVE', 'CLAIMED', 'LOCKED', 'EXPIRED')",
            name=op.f("ck_receipts_status"),
        ),
        sa.CheckConstraint(
            "thp_units >= 0 AND spot_units >= 0", name=op.f("ck_receipts_units_non_negative")
        ),
        sa.CheckConstraint("failed_attempts >= 0", name=op.f("ck_receipts_failures_non_negative")),
        sa.CheckConstraint(
            "(status = 'CLAIMED') = (claimed_by IS NOT NULL)", name=op.f("ck_receipts_claimed_by")
        ),
        sa.ForeignKeyConstraint(["sale_id"], ["sales.id"], name=op.f("fk_receipts_sale_id_sales")),
        sa.ForeignKeyConstraint(["node_id"], ["nodes.id"], name=op.f("fk_receipts_node_id_nodes")),
        sa.ForeignKeyConstraint(
            ["claimed_by"], ["accounts.id"], name=op.f("fk_receipts_claimed_by_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipts")),
        sa.UniqueConstraint("sale_id", name=op.f("uq_receipts_sale_id")),
    )
    op.create_index(
        "ix_receipts_due",
        "receipts",
        ["expires_at"],
        unique=False,
        postgresql_where=sa.text("status IN ('ACTIVE', 'LOCKED')"),
    )
    op.create_table(
        "pool_distributions",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("pool_units", sa.BigInteger(), nullable=False),
        sa.Column("holders_paid", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "period IN ('YEARLY', 'QUARTERLY', 'MONTHLY')",
            name=op.f("ck_pool_distributions_period"),
        ),
        sa.CheckConstraint("pool_units > 0", name=op.f("ck_pool_distributions_pool_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pool_distributions")),
        sa.UniqueConstraint("period", "label", name=op.f("uq_pool_distributions_period_label")),
    )


def downgrade() -> None:
    op.drop_table("pool_distributions")
    op.drop_index(
        "ix_receipts_due",
        table_name="receipts",
        postgresql_where=sa.text("status IN ('ACTIVE', 'LOCKED')"),
    )
    op.drop_table("receipts")
    op.drop_table("sale_lines")
    op.drop_index("ix_sales_node_created", table_name="sales")
    op.drop_table("sales")
