"""App orders, their lines and their state-change events."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import UUID

from hotpot.adapters.metadata import created_at, metadata

orders = Table(
    "orders",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("accounts.id"), nullable=False),
    Column("node_id", UUID(as_uuid=True), ForeignKey("nodes.id"), nullable=False),
    Column("status", Text, nullable=False),
    Column("total_tetri", BigInteger, nullable=False),
    Column("cancel_reason", Text, nullable=True),
    created_at(),
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
