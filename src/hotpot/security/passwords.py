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


class Passwords:
    """Hashes new secrets at the chosen cost; verifies a hash whatever its parameters.

    One instance per process, built by the bootstrap from the settings (no module-wide
    state that one app could switch under another).
    """

    def __init__(self, profile: HashProfile = "rfc9106-low-memory") -> None:
        self._hasher = PasswordHasher.from_parameters(_PROFILES[profile])
        # Verified against when the account does not exist, so timing does not reveal which.
        self._dummy_hash = self._hasher.hash("not-a-real-password")

    def hash(self, secret: str) -> str:
        return self._hasher.hash(secret)

    def verify(self, stored_hash: str | None, secret: str) -> bool:
        try:
            matches = self._hasher.verify(stored_hash or self._dummy_hash, secret)
        except (VerificationError, InvalidHashError):
            return False
        return matches and stored_hash is not None
