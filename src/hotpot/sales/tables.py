"""Tables of the sales slice (walk-in sales, receipts, the unclaimed pool and its distributions)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID

from hotpot.adapters.metadata import metadata

# A walk-in sale recorded by a POS terminal. (terminal_id, terminal_sale_id) is the
# terminal's idempotency key; request_hash tells a retry from a different sale.
sales = Table(
    "sales",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("terminal_id", UUID(as_uuid=True), ForeignKey("terminals.id"), nullable=False),
    Column("node_id", UUID(as_uuid=True), ForeignKey("nodes.id"), nullable=False),
    Column("terminal_sale_id", Text, nullable=False),
    Column("request_hash", LargeBinary, nullable=False),
    Column("amount_tetri", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("terminal_id", "terminal_sale_id"),
    CheckConstraint("amount_tetri >= 0", name="amount_non_negative"),
    Index("ix_sales_node_created", "node_id", "created_at"),
)

sale_lines = Table(
    "sale_lines",
    metadata,
    Column("sale_id", UUID(as_uuid=True), ForeignKey("sales.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("item_id", UUID(as_uuid=True), ForeignKey("menu_items.id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_tetri", BigInteger, nullable=False),
    PrimaryKeyConstraint("sale_id", "line_no"),
    CheckConstraint("quantity > 0", name="quantity_positive"),
    CheckConstraint("unit_price_tetri >= 0", name="price_non_negative"),
)

RECEIPT_STATUSES = "status IN ('ACTIVE', 'CLAIMED', 'LOCKED', 'EXPIRED')"

# The buyer's share of a walk-in sale, held by the `custody` ledger holder until a
# customer claims it (or it expires into the pool). The activation code is kept only
# as an argon2 hash.
receipts = Table(
    "receipts",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("sale_id", UUID(as_uuid=True), ForeignKey("sales.id"), nullable=False, unique=True),
    Column("node_id", UUID(as_uuid=True), ForeignKey("nodes.id"), nullable=False),
    Column("thp_units", BigInteger, nullable=False),
    Column("spot_units", BigInteger, nullable=False),
    Column("code_hash", Text, nullable=False),
    Column("failed_attempts", Integer, nullable=False, server_default="0"),
    Column("status", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("claimed_by", UUID(as_uuid=True), ForeignKey("accounts.id"), nullable=True),
    Column("claimed_at", DateTime(timezone=True), nullable=True),
    Column("closed_at", DateTime(timezone=True), nullable=True),  # locked or expired
    # SPOT above the customer's daily cap at claim time, burned (not credited).
    Column("spot_burned_units", BigInteger, nullable=False, server_default="0"),
    CheckConstraint(RECEIPT_STATUSES, name="status"),
    CheckConstraint("thp_units >= 0 AND spot_units >= 0", name="units_non_negative"),
    CheckConstraint("failed_attempts >= 0", name="failures_non_negative"),
    CheckConstraint("(status = 'CLAIMED') = (claimed_by IS NOT NULL)", name="claimed_by"),
    # The expiry sweep reads only live receipts, oldest deadline first.
    Index(
        "ix_receipts_due",
        "expires_at",
        postgresql_where=text("status IN ('ACTIVE', 'LOCKED')"),
    ),
    # The receipts behind the pool (GET /pool/receipts), latest expiry first, by keyset.
    Index(
        "ix_receipts_expired",
        "closed_at",
        "id",
        postgresql_where=text("status = 'EXPIRED'"),
    ),
)

# One row per distribution of the unclaimed pool; the unique key makes it at most once
# per period. The payouts themselves are ledger entries (ref_kind 'distribution').
pool_distributions = Table(
    "pool_distributions",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("period", Text, nullable=False),
    Column("label", Text, nullable=False),
    Column("pool_units", BigInteger, nullable=False),
    Column("holders_paid", Integer, nullable=False),
    Column("created_by", UUID(as_uuid=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("period", "label"),
    CheckConstraint("period IN ('YEARLY', 'QUARTERLY', 'MONTHLY')", name="period"),
    CheckConstraint("pool_units > 0", name="pool_positive"),
)

__all__ = ["metadata", "pool_distributions", "receipts", "sale_lines", "sales"]
