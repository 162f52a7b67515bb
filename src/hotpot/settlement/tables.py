"""Tables of the settlement slice (settlement batches, relay state and chain deployments)."""

from __future__ import annotations

from hotpot.adapters.tables import metadata

__all__ = ["metadata"]
