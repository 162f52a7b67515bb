"""People: accounts, their refresh tokens (and POS terminals'), sign-in-with-Ethereum nonces."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    LargeBinary,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import UUID

from hotpot.adapters.metadata import created_at, metadata

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
    created_at(),
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

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    # A person's or a POS terminal's (the network owns terminals; sessions are issued here).
    Column("account_id", UUID(as_uuid=True), ForeignKey("accounts.id"), nullable=True),
    Column(
        "terminal_id", UUID(as_uuid=True), ForeignKey("terminals.id"), nullable=True, index=True
    ),
    Column("token_hash", LargeBinary, nullable=False, unique=True),
    # Every token rotated from one sign-in shares its family: a replayed token revokes it.
    Column("family_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    created_at(),
    CheckConstraint("(account_id IS NULL) <> (terminal_id IS NULL)", name="one_holder"),
)

siwe_nonces = Table(
    "siwe_nonces",
    metadata,
    Column("nonce", Text, primary_key=True),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
)
