"""Tables of the governance slice (governance proposals, snapshots and votes)."""

from __future__ import annotations

from hotpot.adapters.tables import metadata

__all__ = ["metadata"]
