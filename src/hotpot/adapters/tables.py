"""The PostgreSQL schema as SQLAlchemy Core tables (migrations create it; see migrations/)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import UUID

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _created_at() -> Column[object]:
    return Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now())


nodes = Table(
    "nodes",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text, nullable=False),
    Column("city", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("active", Boolean, nullable=False, server_default="true"),
    Column(
        "owner_account_id",
        UUID(as_uuid=True),
        ForeignKey("accounts.id", use_alter=True),
        nullable=True,
    ),
    _created_at(),
    CheckConstraint("type IN ('OWNER', 'FRANCHISE')", name="type"),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("role", Text, nullable=False),
    Column("email_hash", LargeBinary, nullable=True, unique=True),
    Column("email_enc", LargeBinary, nullable=True),
    Column("phone_hash", LargeBinary, nullable=True, unique=True),
    Column("phone_enc", LargeBinary, nullable=True),
    Column("name_enc", LargeBinary, nullable=True),
    Column("password_hash", Text, nullable=True),
    Column("wallet_address", Text, nullable=True, unique=True),
    Column("wallet_custodial", Boolean, nullable=False, server_default="false"),
    Column("custodial_key_enc", LargeBinary, nullable=True),
    Column("node_id", UUID(as_uuid=True), ForeignKey("nodes.id"), nullable=True),
    Column("kyc_status", Text, nullable=False, server_default="NOT_STARTED"),
    Column("active", Boolean, nullable=False, server_default="true"),
    _created_at(),
    CheckConstraint(
        "role IN ('owner', 'franchisee', 'chef', 'cashier', 'compliance', 'customer')",
        name="role",
    ),
    CheckConstraint(
        "kyc_status IN ('NOT_STARTED', 'PENDING', 'VERIFIED', 'REJECTED')", name="kyc_status"
    ),
    CheckConstraint(
        "email_hash IS NOT NULL OR phone_hash IS NOT NULL OR wallet_address IS NOT NULL",
        name="has_identity",
    ),
    CheckConstraint("role NOT IN ('chef', 'cashier') OR node_id IS NOT NULL", name="staff_node"),
)

terminals = Table(
    "terminals",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("node_id", UUID(as_uuid=True), ForeignKey("nodes.id"), nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("credential_hash", Text, nullable=False),
    Column("whitelisted", Boolean, nullable=False, server_default="false"),
    _created_at(),
)

menu_items = Table(
    "menu_items",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("price_tetri", BigInteger, nullable=False),
    Column("priority", Integer, nullable=False, server_default="5"),
    Column("cooking_minutes", Integer, nullable=False, server_default="15"),
    Column("status", Text, nullable=False),
    Column("proposed_by", UUID(as_uuid=True), ForeignKey("accounts.id"), nullable=True),
    _created_at(),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("price_tetri > 0", name="price_positive"),
    CheckConstraint("priority BETWEEN 1 AND 10", name="priority_range"),
    CheckConstraint("cooking_minutes BETWEEN 1 AND 600", name="cooking_range"),
    CheckConstraint(
        "status IN ('PROPOSED', 'VOTING', 'APPROVED', 'REJECTED', 'ACTIVE', 'RETIRED')",
        name="status",
    ),
)

menu_ingredients = Table(
    "menu_ingredients",
    metadata,
    Column("item_id", UUID(as_uuid=True), ForeignKey("menu_items.id", ondelete="CASCADE")),
    Column("position", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("grams", Integer, nullable=False),
    Column("kcal", Integer, nullable=False),
    PrimaryKeyConstraint("item_id", "position"),
    CheckConstraint("grams >= 0", name="grams_non_negative"),
    CheckConstraint("kcal >= 0", name="kcal_non_negative"),
)

availability = Table(
    "availability",
    metadata,
    Column("node_id", UUID(as_uuid=True), ForeignKey("nodes.id"), nullable=False),
    Column("item_id", UUID(as_uuid=True), ForeignKey("menu_items.id"), nullable=False),
    Column("portions", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("node_id", "item_id"),
    # The oversell guard of last resort: no code path can take stock below zero.
    CheckConstraint("portions >= 0", name="portions_non_negative"),
)

orders = Table(
    "orders",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("accounts.id"), nullable=False),
    Column("node_id", UUID(as_uuid=True), ForeignKey("nodes.id"), nullable=False),
    Column("status", Text, nullable=False),
    Column("total_tetri", BigInteger, nullable=False),
    Column("cancel_reason", Text, nullable=True),
    _created_at(),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("total_tetri >= 0", name="total_non_negative"),
    CheckConstraint(
        "status IN ('PENDING', 'CONFIRMED', 'IN_PROGRESS', 'READY', 'COMPLETED', 'CANCELLED')",
        name="status",
    ),
    Index("ix_orders_customer_created", "customer_id", "created_at"),
    Index("ix_orders_node_status_created", "node_id", "status", "created_at"),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("order_id", UUID(as_uuid=True), ForeignKey("orders.id", ondelete="CASCADE")),
    Column("line_no", Integer, nullable=False),
    Column("item_id", UUID(as_uuid=True), ForeignKey("menu_items.id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_tetri", BigInteger, nullable=False),
    PrimaryKeyConstraint("order_id", "line_no"),
    CheckConstraint("quantity BETWEEN 1 AND 100", name="quantity_range"),
    CheckConstraint("unit_price_tetri > 0", name="unit_price_positive"),
)

order_events = Table(
    "order_events",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("order_id", UUID(as_uuid=True), ForeignKey("orders.id", ondelete="CASCADE")),
    Column("from_status", Text, nullable=True),
    Column("to_status", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("reason", Text, nullable=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_order_events_order", "order_id"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("request_hash", LargeBinary, nullable=False),
    Column("state", Text, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("response_body", LargeBinary, nullable=True),
    _created_at(),
    PrimaryKeyConstraint("scope", "key"),
    CheckConstraint("state IN ('in_flight', 'done')", name="state"),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("account_id", UUID(as_uuid=True), ForeignKey("accounts.id"), nullable=False),
    Column("token_hash", LargeBinary, nullable=False, unique=True),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    _created_at(),
)

siwe_nonces = Table(
    "siwe_nonces",
    metadata,
    Column("nonce", Text, primary_key=True),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
)
