"""ledger history paged by keyset: (holder, id) indexes on each side of an entry

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_ledger_entries_to_id", "ledger_entries", ["to_holder", "id"])
    op.create_index("ix_ledger_entries_from_id", "ledger_entries", ["from_holder", "id"])


def downgrade() -> None:
    op.drop_index("ix_ledger_entries_from_id", table_name="ledger_entries")
    op.drop_index("ix_ledger_entries_to_id", table_name="ledger_entries")
