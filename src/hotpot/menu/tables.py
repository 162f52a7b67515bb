"""Menu items, their ingredients, and portions available per node."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import UUID

from hotpot.adapters.metadata import created_at, metadata

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
    created_at(),
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
