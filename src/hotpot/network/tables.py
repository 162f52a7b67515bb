"""Nodes (restaurants) and their POS terminals."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import UUID

from hotpot.adapters.metadata import created_at, metadata

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
    created_at(),
    CheckConstraint("type IN ('OWNER', 'FRANCHISE')", name="type"),
)

terminals = Table(
    "terminals",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("node_id", UUID(as_uuid=True), ForeignKey("nodes.id"), nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("credential_hash", Text, nullable=False),
    Column("whitelisted", Boolean, nullable=False, server_default="false"),
    created_at(),
)
