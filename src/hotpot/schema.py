"""Every table of the schema, gathered on one MetaData (what Alembic compares against)."""

from __future__ import annotations

from hotpot.adapters import tables as core_tables
from hotpot.governance import tables as governance_tables
from hotpot.ledger import tables as ledger_tables
from hotpot.sales import tables as sales_tables
from hotpot.settlement import tables as settlement_tables

metadata = core_tables.metadata

__all__ = [
    "core_tables",
    "governance_tables",
    "ledger_tables",
    "metadata",
    "sales_tables",
    "settlement_tables",
]
