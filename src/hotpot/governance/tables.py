"""Tables of the governance slice: proposals, their SPOT snapshots, votes, chain anchors.

- `governance_proposals`: one row per proposal (dish or network). The running vote
  weights live on the row (updated in the vote's transaction), so a list can be filtered
  by the status derived from them without reading every vote.
- `governance_snapshots`: the SPOT balances copied from `ledger_balances` in the
  transaction that opened voting: a voter's weight is read from here, never recomputed.
- `governance_votes`: one vote per wallet per proposal, enforced by the primary key
  (proposal, account) and a unique (proposal, wallet address).
- `governance_anchors`: an outbox row per finalized proposal for the chain relay
  (governance_anchor.vy `anchor(...)`), drained by setting `anchored_at`/`tx_hash`.
"""

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
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from hotpot.adapters.metadata import metadata

KINDS = "kind IN ('DISH', 'GENERAL', 'MENU', 'TOKENOMICS_CHANGE', 'TREASURY')"

governance_proposals = Table(
    "governance_proposals",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("kind", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("proposer_id", UUID(as_uuid=True), ForeignKey("accounts.id"), nullable=False),
    Column(
        "menu_item_id",
        UUID(as_uuid=True),
        ForeignKey("menu_items.id"),
        nullable=True,
        unique=True,
    ),
    # The proposed TokenomicsChange (only the values it sets), for TOKENOMICS_CHANGE.
    Column("tokenomics_change", JSONB(none_as_null=True), nullable=True),
    Column("voting_seconds", Integer, nullable=False),
    # The voting window, from the injected clock.
    Column("opens_at", DateTime(timezone=True), nullable=True),
    Column("closes_at", DateTime(timezone=True), nullable=True),
    # The database's clock_timestamp() when the snapshot was copied (for reference).
    Column("snapshot_at", DateTime(timezone=True), nullable=True),
    Column("snapshot_supply_units", BigInteger, nullable=True),
    Column("for_units", BigInteger, nullable=False, server_default="0"),
    Column("against_units", BigInteger, nullable=False, server_default="0"),
    Column("abstain_units", BigInteger, nullable=False, server_default="0"),
    Column("vote_count", Integer, nullable=False, server_default="0"),
    Column("finalized_at", DateTime(timezone=True), nullable=True),
    Column("outcome", Text, nullable=True),
    Column("votes_root", Text, nullable=True),
    Column("executed_at", DateTime(timezone=True), nullable=True),
    Column("executed_by", UUID(as_uuid=True), ForeignKey("accounts.id"), nullable=True),
    Column("tokenomics_version", Integer, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint(KINDS, name="kind"),
    CheckConstraint("(kind = 'DISH') = (menu_item_id IS NOT NULL)", name="dish_item"),
    CheckConstraint(
        "(kind = 'TOKENOMICS_CHANGE') = (tokenomics_change IS NOT NULL)", name="tokenomics"
    ),
    CheckConstraint("voting_seconds > 0", name="voting_seconds_positive"),
    CheckConstraint(
        "(opens_at IS NULL) = (closes_at IS NULL)"
        " AND (opens_at IS NULL) = (snapshot_at IS NULL)"
        " AND (opens_at IS NULL) = (snapshot_supply_units IS NULL)",
        name="window_complete",
    ),
    CheckConstraint("closes_at > opens_at", name="window_order"),
    CheckConstraint(
        "for_units >= 0 AND against_units >= 0 AND abstain_units >= 0 AND vote_count >= 0",
        name="weights_non_negative",
    ),
    CheckConstraint(
        "outcome IS NULL OR outcome IN ('PASSED', 'REJECTED', 'NO_QUORUM')", name="outcome"
    ),
    CheckConstraint("(finalized_at IS NULL) = (outcome IS NULL)", name="finalized_outcome"),
    CheckConstraint("(finalized_at IS NULL) = (votes_root IS NULL)", name="finalized_root"),
    CheckConstraint(
        "executed_at IS NULL OR (finalized_at IS NOT NULL AND outcome = 'PASSED'"
        " AND kind <> 'DISH')",
        name="executed_passed",
    ),
    Index("ix_governance_proposals_created_at", "created_at"),
)

governance_snapshots = Table(
    "governance_snapshots",
    metadata,
    Column(
        "proposal_id",
        UUID(as_uuid=True),
        ForeignKey("governance_proposals.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("holder", Text, nullable=False),
    Column("units", BigInteger, nullable=False),
    PrimaryKeyConstraint("proposal_id", "holder"),
    CheckConstraint("units > 0", name="units_positive"),
)

governance_votes = Table(
    "governance_votes",
    metadata,
    Column(
        "proposal_id",
        UUID(as_uuid=True),
        ForeignKey("governance_proposals.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("voter_id", UUID(as_uuid=True), ForeignKey("accounts.id"), nullable=False),
    Column("voter_address", Text, nullable=False),
    Column("choice", Text, nullable=False),
    Column("weight_units", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # One vote per wallet per proposal: the database refuses a second one.
    PrimaryKeyConstraint("proposal_id", "voter_id"),
    UniqueConstraint("proposal_id", "voter_address"),
    CheckConstraint("choice IN ('FOR', 'AGAINST', 'ABSTAIN')", name="choice"),
    CheckConstraint("weight_units > 0", name="weight_positive"),
)

governance_anchors = Table(
    "governance_anchors",
    metadata,
    Column(
        "proposal_id",
        UUID(as_uuid=True),
        ForeignKey("governance_proposals.id"),
        primary_key=True,
    ),
    Column("chain_proposal_id", Text, nullable=False),  # bytes32, 0x-hex
    Column("votes_root", Text, nullable=False),  # bytes32, 0x-hex
    Column("for_units", BigInteger, nullable=False),
    Column("against_units", BigInteger, nullable=False),
    Column("abstain_units", BigInteger, nullable=False),
    Column("passed", Boolean, nullable=False),
    Column("vote_count", Integer, nullable=False),
    Column(
        "created_at", DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()
    ),
    Column("anchored_at", DateTime(timezone=True), nullable=True),
    Column("tx_hash", Text, nullable=True),
    CheckConstraint("for_units >= 0 AND against_units >= 0 AND abstain_units >= 0", name="weights"),
    Index(
        "ix_governance_anchors_pending",
        "created_at",
        postgresql_where=text("anchored_at IS NULL"),
    ),
)

__all__ = [
    "governance_anchors",
    "governance_proposals",
    "governance_snapshots",
    "governance_votes",
    "metadata",
]
