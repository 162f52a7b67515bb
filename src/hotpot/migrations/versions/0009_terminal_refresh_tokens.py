"""refresh tokens for POS terminals: a till's session outlives one access token

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("refresh_tokens", "account_id", nullable=True)
    op.add_column(
        "refresh_tokens",
        sa.Column(
            "terminal_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("terminals.id", name="fk_refresh_tokens_terminal_id_terminals"),
            nullable=True,
        ),
    )
    op.create_index("ix_refresh_tokens_terminal_id", "refresh_tokens", ["terminal_id"])
    op.create_check_constraint(
        "ck_refresh_tokens_one_holder",
        "refresh_tokens",
        "(account_id IS NULL) <> (terminal_id IS NULL)",
    )


def downgrade() -> None:
    op.execute("DELETE FROM refresh_tokens WHERE terminal_id IS NOT NULL")
    op.drop_constraint("ck_refresh_tokens_one_holder", "refresh_tokens", type_="check")
    op.drop_index("ix_refresh_tokens_terminal_id", table_name="refresh_tokens")
    op.drop_column("refresh_tokens", "terminal_id")
    op.alter_column("refresh_tokens", "account_id", nullable=False)
