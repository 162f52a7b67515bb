"""Receipt activation codes at rest: a keyed hash (HMAC-SHA256) under RECEIPT_CODE_SECRET.

A code carries at least 59 bits of entropy (domain/receipts.py), so a slow password hash
buys nothing against guessing and costs a till about 170 ms of CPU per sale; a keyed hash
takes microseconds. Receipts issued before this format hold an argon2 hash: those still
verify (slowly) until they expire.
"""

from __future__ import annotations

import hashlib
import hmac

from hotpot.security.passwords import Passwords

MARKER = "hmac-sha256$"
_LEGACY_MARKER = "$argon2"
# Binds the key to this one use, should the same secret ever key something else.
_PURPOSE = b"hotpot/receipt-code/v1:"


def is_legacy_hash(stored_hash: str) -> bool:
    """An argon2 hash from before the keyed format: slow to verify, run it off the loop."""
    return stored_hash.startswith(_LEGACY_MARKER)


class ReceiptCodes:
    """Hashes activation codes under the server secret; verifies in constant time."""

    def __init__(self, secret: bytes, passwords: Passwords) -> None:
        self._key = secret
        self._passwords = passwords

    def hash(self, code: str) -> str:
        return MARKER + self._digest(code).hex()

    def verify(self, stored_hash: str, code: str) -> bool:
        if is_legacy_hash(stored_hash):
            return self._passwords.verify(stored_hash, code)
        if not stored_hash.startswith(MARKER):
            return False
        expected = MARKER + self._digest(code).hex()
        return hmac.compare_digest(stored_hash.encode(), expected.encode())

    def _digest(self, code: str) -> bytes:
        return hmac.new(self._key, _PURPOSE + code.encode(), hashlib.sha256).digest()
