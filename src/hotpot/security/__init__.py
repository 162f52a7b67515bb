"""Cryptographic primitives: password hashes, access tokens, encryption of personal data."""
