"""governance proposals, snapshots and votes

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = True, default: str | None = None) -> sa.Column[object]:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        server_default=sa.text(default) if default else None,
        nullable=nullable,
    )


def upgrade() -> None:
    op.create_table(
        "governance_proposals",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("proposer_id", sa.UUID(), nullable=False),
        sa.Column("menu_item_id", sa.UUID(), nullable=True),
        sa.Column("tokenomics_change", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("voting_seconds", sa.Integer(), nullable=False),
        _at("opens_at"),
        _at("closes_at"),
        _at("snapshot_at"),
        sa.Column("snapshot_supply_units", sa.BigInteger(), nullable=True),
        sa.Column("for_units", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("against_units", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("abstain_units", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("vote_count", sa.Integer(), server_default="0", nullable=False),
        _at("finalized_at"),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("votes_root", sa.Text(), nullable=True),
        _at("executed_at"),
        sa.Column("executed_by", sa.UUID(), nullable=True),
        sa.Column("tokenomics_version", sa.Integer(), nullable=True),
        _at("created_at", nullable=False, default="now()"),
        sa.CheckConstraint(
            "kind IN ('DISH', 'GENERAL', 'MENU', 'TOKENOMICS_CHANGE', 'TREASURY')",
            name=op.f("ck_governance_proposals_kind"),
        ),
        sa.CheckConstraint(
            "(kind = 'DISH') = (menu_item_id IS NOT NULL)",
            name=op.f("ck_governance_proposals_dish_item"),
        ),
        sa.CheckConstraint(
            "(kind = 'TOKENOMICS_CHANGE') = (tokenomics_change IS NOT NULL)",
            name=op.f("ck_governance_proposals_tokenomics"),
        ),
        sa.CheckConstraint(
            "voting_seconds > 0", name=op.f("ck_governance_proposals_voting_seconds_positive")
        ),
        sa.CheckConstraint(
            "(opens_at IS NULL) = (closes_at IS NULL)"
            " AND (opens_at IS NULL) = (snapshot_at IS NULL)"
            " AND (opens_at IS NULL) = (snapshot_supply_units IS NULL)",
            name=op.f("ck_governance_proposals_window_complete"),
        ),
        sa.CheckConstraint(
            "closes_at > opens_at", name=op.f("ck_governance_proposals_window_order")
        ),
        sa.CheckConstraint(
            "for_units >= 0 AND against_units >= 0 AND abstain_units >= 0 AND vote_count >= 0",
            name=op.f("ck_governance_proposals_weights_non_negative"),
        ),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('PASSED', 'REJECTED', 'NO_QUORUM')",
            name=op.f("ck_governance_proposals_outcome"),
        ),
        sa.CheckConstraint(
            "(finalized_at IS NULL) = (outcome IS NULL)",
            name=op.f("ck_governance_proposals_finalized_outcome"),
        ),
        sa.CheckConstraint(
            "(finalized_at IS NULL) = (votes_root IS NULL)",
            name=op.f("ck_governance_proposals_finalized_root"),
        ),
        sa.CheckConstraint(
            "executed_at IS NULL OR (finalized_at IS NOT NULL AND outcome = 'PASSED'"
            " AND kind <> 'DISH')",
            name=op.f("ck_governance_proposals_executed_passed"),
        ),
        sa.ForeignKeyConstraint(
            ["proposer_id"],
            ["accounts.id"],
            name=op.f("fk_governance_proposals_proposer_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["menu_item_id"],
            ["menu_items.id"],
            name=op.f("fk_governance_proposals_menu_item_id_menu_items"),
        ),
        sa.ForeignKeyConstraint(
            ["executed_by"],
            ["accounts.id"],
            name=op.f("fk_governance_proposals_executed_by_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_governance_proposals")),
        sa.UniqueConstraint("menu_item_id", name=op.f("uq_governance_proposals_menu_item_id")),
    )
    op.create_index(
        "ix_governance_proposals_created_at", "governance_proposals", ["created_at"], unique=False
    )
    op.create_table(
        "governance_snapshots",
        sa.Column("proposal_id", sa.UUID(), nullable=False),
        sa.Column("holder", sa.Text(), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("units > 0", name=op.f("ck_governance_snapshots_units_positive")),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["governance_proposals.id"],
            name=op.f("fk_governance_snapshots_proposal_id_governance_proposals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("proposal_id", "holder", name=op.f("pk_governance_snapshots")),
    )
    op.create_table(
        "governance_votes",
        sa.Column("proposal_id", sa.UUID(), nullable=False),
        sa.Column("voter_id", sa.UUID(), nullable=False),
        sa.Column("voter_address", sa.Text(), nullable=False),
        sa.Column("choice", sa.Text(), nullable=False),
        sa.Column("weight_units", sa.BigInteger(), nullable=False),
        _at("created_at", nullable=False, default="now()"),
        sa.CheckConstraint(
            "choice IN ('FOR', 'AGAINST', 'ABSTAIN')", name=op.f("ck_governance_votes_choice")
        ),
        sa.CheckConstraint("weight_units > 0", name=op.f("ck_governance_votes_weight_positive")),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["governance_proposals.id"],
            name=op.f("fk_governance_votes_proposal_id_governance_proposals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["voter_id"], ["accounts.id"], name=op.f("fk_governance_votes_voter_id_accounts")
        ),
        sa.PrimaryKeyConstraint("proposal_id", "voter_id", name=op.f("pk_governance_votes")),
        sa.UniqueConstraint(
            "proposal_id",
            "voter_address",
            name=op.f("uq_governance_votes_proposal_id_voter_address"),
        ),
    )
    op.create_table(
        "governance_anchors",
        sa.Column("proposal_id", sa.UUID(), nullable=False),
        sa.Column("chain_proposal_id", sa.Text(), nullable=False),
        sa.Column("votes_root", sa.Text(), nullable=False),
        sa.Column("for_units", sa.BigInteger(), nullable=False),
        sa.Column("against_units", sa.BigInteger(), nullable=False),
        sa.Column("abstain_units", sa.BigInteger(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("vote_count", sa.Integer(), nullable=False),
        _at("created_at", nullable=False, default="clock_timestamp()"),
        _at("anchored_at"),
        sa.Column("tx_hash", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "for_units >= 0 AND against_units >= 0 AND abstain_units >= 0",
            name=op.f("ck_governance_anchors_weights"),
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["governance_proposals.id"],
            name=op.f("fk_governance_anchors_proposal_id_governance_proposals"),
        ),
        sa.PrimaryKeyConstraint("proposal_id", name=op.f("pk_governance_anchors")),
    )
    op.create_index(
        "ix_governance_anchors_pending",
        "governance_anchors",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("anchored_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_governance_anchors_pending",
        table_name="governance_anchors",
        postgresql_where=sa.text("anchored_at IS NULL"),
    )
    op.drop_table("governance_anchors")
    op.drop_table("governance_votes")
    op.drop_table("governance_snapshots")
    op.drop_index("ix_governance_proposals_created_at", table_name="governance_proposals")
    op.drop_table("governance_proposals")
