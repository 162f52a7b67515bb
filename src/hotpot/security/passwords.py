"""Slow password (and terminal credential) hashing with argon2id."""

from __future__ import annotations

from typing import Literal

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

HashProfile = Literal["rfc9106-low-memory", "cheapest-for-tests"]

_PROFILES = {
    # RFC 9106's second recommendation: t=3, 64 MiB, p=4.
    "rfc9106-low-memory": profiles.RFC_9106_LOW_MEMORY,
    # Only for test suites that create hundreds of accounts; refused in production.
    "cheapest-for-tests": profiles.CHEAPEST,
}

_hasher = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)
# Verified against when the account does not exist, so timing does not reveal which.
_dummy_hash = _hasher.hash("not-a-real-password")


def use_profile(profile: HashProfile) -> None:
    """Choose the cost of new hashes; existing hashes verify whatever their parameters."""
    global _hasher, _dummy_hash
    _hasher = PasswordHasher.from_parameters(_PROFILES[profile])
    _dummy_hash = _hasher.hash("not-a-real-password")


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(stored_hash: str | None, secret: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _dummy_hash, secret) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False
