"""Thin adapters to the outside world: PostgreSQL, Redis, chain, IPFS, S3."""
