"""core schema: accounts, network, menu, orders

Revision ID: 0001
Revises:
Create Date: 2026-11-26 14:19:34.915527
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("request_hash", sa.LargeBinary(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "state IN ('in_flight', 'done')", name=op.f("ck_idempotency_keys_state")
        ),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "nodes",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("city", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("owner_account_id", sa.UUID(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("type IN ('OWNER', 'FRANCHISE')", name=op.f("ck_nodes_type")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nodes")),
    )
    op.create_table(
        "siwe_nonces",
        sa.Column("nonce", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_siwe_nonces")),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("email_hash", sa.LargeBinary(), nullable=True),
        sa.Column("email_enc", sa.LargeBinary(), nullable=True),
        sa.Column("phone_hash", sa.LargeBinary(), nullable=True),
        sa.Column("phone_enc", sa.LargeBinary(), nullable=True),
        sa.Column("name_enc", sa.LargeBinary(), nullable=True),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("wallet_address", sa.Text(), nullable=True),
        sa.Column("wallet_custodial", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("custodial_key_enc", sa.LargeBinary(), nullable=True),
        sa.Column("node_id", sa.UUID(), nullable=True),
        sa.Column("kyc_status", sa.Text(), server_default="NOT_STARTED", nullable=False),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kyc_status IN ('NOT_STARTED', 'PENDING', 'VERIFIED', 'REJECTED')",
            name=op.f("ck_accounts_kyc_status"),
        ),
        sa.CheckConstraint(
            "role IN ('owner', 'franchisee', 'chef', 'cashier', 'compliance', 'customer')",
            name=op.f("ck_accounts_role"),
        ),
        sa.CheckConstraint(
            "role NOT IN ('chef', 'cashier') OR node_id IS NOT NULL",
            name=op.f("ck_accounts_staff_node"),
        ),
        sa.CheckConstraint(
            "email_hash IS NOT NULL OR phone_hash IS NOT NULL OR wallet_address IS NOT NULL",
            name=op.f("ck_accounts_has_identity"),
        ),
        sa.ForeignKeyConstraint(["node_id"], ["nodes.id"], name=op.f("fk_accounts_node_id_nodes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("email_hash", name=op.f("uq_accounts_email_hash")),
        sa.UniqueConstraint("phone_hash", name=op.f("uq_accounts_phone_hash")),
        sa.UniqueConstraint("wallet_address", name=op.f("uq_accounts_wallet_address")),
    )
    # nodes and accounts reference each other: the second key is added once both exist.
    op.create_foreign_key(
        op.f("fk_nodes_owner_account_id_accounts"),
        "nodes",
        "accounts",
        ["owner_account_id"],
        ["id"],
    )
    op.create_table(
        "terminals",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("node_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("credential_hash", sa.Text(), nullable=False),
        sa.Column("whitelisted", sa.Boolean(), server_default="false", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["node_id"], ["nodes.id"], name=op.f("fk_terminals_node_id_nodes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terminals")),
    )
    op.create_index(op.f("ix_terminals_node_id"), "terminals", ["node_id"], unique=False)
    op.create_table(
        "menu_items",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("price_tetri", sa.BigInteger(), nullable=False),
        sa.Column("priority", sa.Integer(), server_default="5", nullable=False),
        sa.Column("cooking_minutes", sa.Integer(), server_default="15", nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("proposed_by", sa.UUID(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('PROPOSED', 'VOTING', 'APPROVED', 'REJECTED', 'ACTIVE', 'RETIRED')",
            name=op.f("ck_menu_items_status"),
        ),
        sa.CheckConstraint(
            "cooking_minutes BETWEEN 1 AND 600", name=op.f("ck_menu_items_cooking_range")
        ),
        sa.CheckConstraint("price_tetri > 0", name=op.f("ck_menu_items_price_positive")),
        sa.CheckConstraint("priority BETWEEN 1 AND 10", name=op.f("ck_menu_items_priority_range")),
        sa.ForeignKeyConstraint(
            ["proposed_by"], ["accounts.id"], name=op.f("fk_menu_items_proposed_by_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_menu_items")),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("node_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("total_tetri", sa.BigInteger(), nullable=False),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('PENDING', 'CONFIRMED', 'IN_PROGRESS', 'READY', 'COMPLETED', 'CANCELLED')",
            name=op.f("ck_orders_status"),
        ),
        sa.CheckConstraint("total_tetri >= 0", name=op.f("ck_orders_total_non_negative")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["accounts.id"], name=op.f("fk_orders_customer_id_accounts")
        ),
        sa.ForeignKeyConstraint(["node_id"], ["nodes.id"], name=op.f("fk_orders_node_id_nodes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
    )
    op.create_index(
        "ix_orders_customer_created", "orders", ["customer_id", "created_at"], unique=False
    )
    op.create_index(
        "ix_orders_node_status_created", "orders", ["node_id", "status", "created_at"], unique=False
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_refresh_tokens_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_tokens_token_hash")),
    )
    op.create_table(
        "availability",
        sa.Column("node_id", sa.UUID(), nullable=False),
        sa.Column("item_id", sa.UUID(), nullable=False),
        sa.Column("portions", sa.Integer(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("portions >= 0", name=op.f("ck_availability_portions_non_negative")),
        sa.ForeignKeyConstraint(
            ["item_id"], ["menu_items.id"], name=op.f("fk_availability_item_id_menu_items")
        ),
        sa.ForeignKeyConstraint(
            ["node_id"], ["nodes.id"], name=op.f("fk_availability_node_id_nodes")
        ),
        sa.PrimaryKeyConstraint("node_id", "item_id", name=op.f("pk_availability")),
    )
    op.create_table(
        "menu_ingredients",
        sa.Column("item_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("grams", sa.Integer(), nullable=False),
        sa.Column("kcal", sa.Integer(), nullable=False),
        sa.CheckConstraint("grams >= 0", name=op.f("ck_menu_ingredients_grams_non_negative")),
        sa.CheckConstraint("kcal >= 0", name=op.f("ck_menu_ingredients_kcal_non_negative")),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["menu_items.id"],
            name=op.f("fk_menu_ingredients_item_id_menu_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", "position", name=op.f("pk_menu_ingredients")),
    )
    op.create_table(
        "order_events",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=True),
        sa.Column("from_status", sa.Text(), nullable=True),
        sa.Column("to_status", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_events_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_events")),
    )
    op.create_index("ix_order_events_order", "order_events", ["order_id"], unique=False)
    op.create_table(
        "order_lines",
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.UUID(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_tetri", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "quantity BETWEEN 1 AND 100", name=op.f("ck_order_lines_quantity_range")
        ),
        sa.CheckConstraint("unit_price_tetri > 0", name=op.f("ck_order_lines_unit_price_positive")),
        sa.ForeignKeyConstraint(
            ["item_id"], ["menu_items.id"], name=op.f("fk_order_lines_item_id_menu_items")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_lines_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("order_id", "line_no", name=op.f("pk_order_lines")),
    )


def downgrade() -> None:
    op.drop_constraint(op.f("fk_nodes_owner_account_id_accounts"), "nodes", type_="foreignkey")
    op.drop_table("order_lines")
    op.drop_index("ix_order_events_order", table_name="order_events")
    op.drop_table("order_events")
    op.drop_table("menu_ingredients")
    op.drop_table("availability")
    op.drop_table("refresh_tokens")
    op.drop_index("ix_orders_node_status_created", table_name="orders")
    op.drop_index("ix_orders_customer_created", table_name="orders")
    op.drop_table("orders")
    op.drop_table("menu_items")
    op.drop_index(op.f("ix_terminals_node_id"), table_name="terminals")
    op.drop_table("terminals")
    op.drop_table("accounts")
    op.drop_table("siwe_nonces")
    op.drop_table("nodes")
    op.drop_table("idempotency_keys")
