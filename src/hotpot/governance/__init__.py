"""Governance proposals, snapshots and votes."""
