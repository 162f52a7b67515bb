"""The token ledger: append-only entries, derived balances, the chain outbox."""
