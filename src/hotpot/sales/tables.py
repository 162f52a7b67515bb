"""Tables of the sales slice (walk-in sales, receipts, the unclaimed pool and its distributions)."""

from __future__ import annotations

from hotpot.adapters.tables import metadata

__all__ = ["metadata"]
