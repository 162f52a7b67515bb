"""ledger: entries, balances, supply, purchases, tokenomics, outbox

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 14:44:05.946388
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "ledger_balances",
        sa.Column("holder", sa.Text(), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("token IN ('THP', 'SPOT')", name=op.f("ck_ledger_balances_token")),
        sa.CheckConstraint("units >= 0", name=op.f("ck_ledger_balances_units_non_negative")),
        sa.PrimaryKeyConstraint("holder", "token", name=op.f("pk_ledger_balances")),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("from_holder", sa.Text(), nullable=True),
        sa.Column("to_holder", sa.Text(), nullable=True),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.Column("ref_kind", sa.Text(), nullable=False),
        sa.Column("ref_id", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('mint', 'claim', 'transfer', 'distribution', 'expiry', 'burn')",
            name=op.f("ck_ledger_entries_kind"),
        ),
        sa.CheckConstraint("token IN ('THP', 'SPOT')", name=op.f("ck_ledger_entries_token")),
        sa.CheckConstraint(
            "from_holder IS NOT NULL OR to_holder IS NOT NULL",
            name=op.f("ck_ledger_entries_has_side"),
        ),
        sa.CheckConstraint("units > 0", name=op.f("ck_ledger_entries_units_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
    )
    op.create_index(
        "ix_ledger_entries_from",
        "ledger_entries",
        ["from_holder", "token", "created_at"],
        unique=False,
    )
    op.create_index("ix_ledger_entries_ref", "ledger_entries", ["ref_kind", "ref_id"], unique=False)
    op.create_index(
        "ix_ledger_entries_to", "ledger_entries", ["to_holder", "token", "created_at"], unique=False
    )
    op.create_index(
        "ix_ledger_entries_token_kind_created",
        "ledger_entries",
        ["token", "kind", "created_at"],
        unique=False,
    )
    op.create_table(
        "ledger_supply",
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("token IN ('THP', 'SPOT')", name=op.f("ck_ledger_supply_token")),
        sa.CheckConstraint("units >= 0", name=op.f("ck_ledger_supply_units_non_negative")),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_ledger_supply")),
    )
    op.create_table(
        "tokenomics_versions",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("settings", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_tokenomics_versions")),
    )
    op.create_table(
        "node_sales",
        sa.Column("node_id", sa.UUID(), nullable=False),
        sa.Column("sales_count", sa.BigInteger(), nullable=False),
        sa.Column("volume_tetri", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["node_id"], ["nodes.id"], name=op.f("fk_node_sales_node_id_nodes")
        ),
        sa.PrimaryKeyConstraint("node_id", name=op.f("pk_node_sales")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("delta", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("batch_id", sa.Text(), nullable=True),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tx_hash", sa.Text(), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("token IN ('THP', 'SPOT')", name=op.f("ck_outbox_token")),
        sa.CheckConstraint("delta <> 0", name=op.f("ck_outbox_delta_non_zero")),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["ledger_entries.id"], name=op.f("fk_outbox_entry_id_ledger_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index("ix_outbox_address", "outbox", ["address", "token"], unique=False)
    op.create_index("ix_outbox_batch", "outbox", ["batch_id"], unique=False)
    op.create_index(
        "ix_outbox_unsettled",
        "outbox",
        ["id"],
        unique=False,
        postgresql_where=sa.text("settled_at IS NULL"),
    )
    op.create_table(
        "purchases",
        sa.Column("ref_kind", sa.Text(), nullable=False),
        sa.Column("ref_id", sa.Text(), nullable=False),
        sa.Column("node_id", sa.UUID(), nullable=False),
        sa.Column("buyer_holder", sa.Text(), nullable=False),
        sa.Column("amount_tetri", sa.BigInteger(), nullable=False),
        sa.Column("tokenomics_version", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.CheckConstraint("ref_kind IN ('order', 'sale')", name=op.f("ck_purchases_ref_kind")),
        sa.CheckConstraint("amount_tetri >= 0", name=op.f("ck_purchases_amount_non_negative")),
        sa.ForeignKeyConstraint(["node_id"], ["nodes.id"], name=op.f("fk_purchases_node_id_nodes")),
        sa.PrimaryKeyConstraint("ref_kind", "ref_id", name=op.f("pk_purchases")),
    )
    op.create_index("ix_purchases_node", "purchases", ["node_id"], unique=False)


def downgrade() -> None:

    op.drop_index("ix_purchases_node", table_name="purchases")
    op.drop_table("purchases")
    op.drop_index(
        "ix_outbox_unsettled", table_name="outbox", postgresql_where=sa.text("settled_at IS NULL")
    )
    op.drop_index("ix_outbox_batch", table_name="outbox")
    op.drop_index("ix_outbox_address", table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("node_sales")
    op.drop_table("tokenomics_versions")
    op.drop_table("ledger_supply")
    op.drop_index("ix_ledger_entries_token_kind_created", table_name="ledger_entries")
    op.drop_index("ix_ledger_entries_to", table_name="ledger_entries")
    op.drop_index("ix_ledger_entries_ref", table_name="ledger_entries")
    op.drop_index("ix_ledger_entries_from", table_name="ledger_entries")
    op.drop_table("ledger_entries")
    op.drop_table("ledger_balances")
