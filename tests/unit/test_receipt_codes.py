"""Receipt activation codes at rest: keyed hash format, constant-time check, the old
argon2 hashes, and the secret's development value refused in production."""

from __future__ import annotations

import base64
import os

import pytest

from hotpot.config import DEV_RECEIPT_CODE_SECRET, Settings
from hotpot.security.codes import MARKER, ReceiptCodes, is_legacy_hash
from hotpot.security.passwords import Passwords

CODE = "23456789ABCD"
PASSWORDS = Passwords("cheapest-for-tests")


def codes(secret: bytes = b"k" * 32) -> ReceiptCodes:
    return ReceiptCodes(secret, PASSWORDS)


def test_a_code_hash_carries_the_marker_and_verifies_only_its_code() -> None:
    stored = codes().hash(CODE)
    assert stored.startswith(MARKER) and not is_legacy_hash(stored)
    assert CODE not in stored
    assert codes().verify(stored, CODE)
    assert not codes().verify(stored, "23456789ABCE")
    # The key matters: another secret's hash does not verify.
    assert not codes(b"x" * 32).verify(stored, CODE)


def test_an_old_argon2_hash_still_verifies() -> None:
    legacy = PASSWORDS.hash(CODE)
    assert is_legacy_hash(legacy)
    assert codes().verify(legacy, CODE)
    assert not codes().verify(legacy, "23456789ABCE")


def test_an_unknown_hash_format_never_verifies() -> None:
    assert not codes().verify("", CODE)
    assert not codes().verify(codes().hash(CODE).removeprefix(MARKER), CODE)


def production(**overrides: str) -> dict[str, str]:
    values = {
        "hotpot_env": "production",
        "database_url": "postgresql://db/hotpot",
        "jwt_secret": "j" * 40,
        "encryption_key": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "receipt_code_secret": "r" * 40,
        "public_base_url": "https://hotpot.example.ge",
        "owner_address": "0x" + "1" * 40,
        "charity_address": "0x" + "2" * 40,
        "custody_address": "0x" + "3" * 40,
    }
    values.update(overrides)
    return values


def test_production_accepts_a_real_receipt_code_secret() -> None:
    settings = Settings(**production())  # type: ignore[arg-type]
    assert settings.effective_receipt_code_secret == b"r" * 40


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        (DEV_RECEIPT_CODE_SECRET, "RECEIPT_CODE_SECRET is the development default"),
        ("", "RECEIPT_CODE_SECRET must be set"),
        ("short", "RECEIPT_CODE_SECRET must be at least 32 characters"),
    ],
)
def test_production_refuses_a_development_or_weak_receipt_code_secret(
    secret: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Settings(**production(receipt_code_secret=secret))  # type: ignore[arg-type]


def test_development_falls_back_to_the_marked_development_secret() -> None:
    settings = Settings(hotpot_env="development", receipt_code_secret=None)  # type: ignore[arg-type]
    assert settings.effective_receipt_code_secret == DEV_RECEIPT_CODE_SECRET.encode()
