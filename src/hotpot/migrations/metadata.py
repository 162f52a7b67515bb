"""Every slice's tables gathered on the one MetaData: what Alembic compares migrations with.

Importing each slice's `tables` module registers its tables; nothing else needs this file.
"""

from __future__ import annotations

from hotpot.accounts import tables as accounts_tables
from hotpot.adapters.metadata import metadata
from hotpot.governance import tables as governance_tables
from hotpot.http import tables as http_tables
from hotpot.ledger import tables as ledger_tables
from hotpot.menu import tables as menu_tables
from hotpot.network import tables as network_tables
from hotpot.orders import tables as orders_tables
from hotpot.sales import tables as sales_tables
from hotpot.settlement import tables as settlement_tables

SLICE_TABLES = (
    accounts_tables,
    governance_tables,
    http_tables,
    ledger_tables,
    menu_tables,
    network_tables,
    orders_tables,
    sales_tables,
    settlement_tables,
)

__all__ = ["SLICE_TABLES", "metadata"]
