"""Tables of the settlement slice (settlement batches, relay state and chain deployments)."""

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
from sqlalchemy.dialects.postgresql import JSONB

from hotpot.adapters.metadata import metadata

__all__ = ["chain_deployments", "metadata", "settlement_batches", "settlement_records"]

# One row per deployment of the four contracts on a chain; the newest row of a chain id is
# the live one. A chain reset (code gone from the addresses) gets a new row.
chain_deployments = Table(
    "chain_deployments",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("chain_id", BigInteger, nullable=False),
    Column("deployer", Text, nullable=False),
    Column("thp", Text, nullable=False),
    Column("spot", Text, nullable=False),
    Column("registry", Text, nullable=False),
    Column("anchor", Text, nullable=False),
    Column("source_hash", Text, nullable=False),
    Column("block_number", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_chain_deployments_chain", "chain_id", "id"),
)

# A batch is written (with its outbox rows tagged) BEFORE its transaction is sent, so a
# relay that dies mid-batch resends the very same batch id: the registry makes the
# replay a no-op, and the effect is exactly once.
settlement_batches = Table(
    "settlement_batches",
    metadata,
    Column("batch_id", Text, primary_key=True),  # 0x + 64 hex
    Column("deployment_id", BigInteger, ForeignKey("chain_deployments.id"), nullable=False),
    Column("status", Text, nullable=False),
    Column("merkle_root", Text, nullable=False),
    Column("cid", Text, nullable=False),
    Column("leaves", JSONB, nullable=False),  # leaf hashes, tree order
    Column("row_count", Integer, nullable=False),
    Column("tx_hash", Text, nullable=True),
    Column("block_number", BigInteger, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("settled_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("status IN ('pending', 'settled', 'abandoned')", name="status"),
    Index("ix_settlement_batches_status", "status", "created_at"),
)

# Which batch published the record of an order or receipt, and where in the tree.
settlement_records = Table(
    "settlement_records",
    metadata,
    Column("ref_kind", Text, nullable=False),  # 'order' | 'receipt'
    Column("ref_id", Text, nullable=False),
    Column(
        "batch_id",
        Text,
        ForeignKey("settlement_batches.batch_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("leaf_index", Integer, nullable=False),
    Column("cid", Text, nullable=False),
    PrimaryKeyConstraint("ref_kind", "ref_id"),
    CheckConstraint("ref_kind IN ('order', 'receipt')", name="ref_kind"),
    Index("ix_settlement_records_batch", "batch_id"),
)
