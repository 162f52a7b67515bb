"""Wallets: balances, role by stake, history, and THP transfers between verified customers."""
