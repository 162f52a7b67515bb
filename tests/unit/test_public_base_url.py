"""PUBLIC_BASE_URL (issue 10, item 16): required in production, derived in development."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hotpot.config import Settings

PRODUCTION = {
    "hotpot_env": "production",
    "database_url": "postgresql://x@127.0.0.1:9/x",
    "jwt_secret": "x" * 40,
    "encryption_key": "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=",
    "owner_address": "0x" + "1" * 40,
    "charity_address": "0x" + "2" * 40,
    "custody_address": "0x" + "3" * 40,
    "receipt_code_secret": "r" * 40,
}


def test_production_refuses_to_start_without_it() -> None:
    with pytest.raises(ValidationError, match="PUBLIC_BASE_URL must be set"):
        Settings(**PRODUCTION)  # type: ignore[arg-type]
    ok = Settings(**PRODUCTION, public_base_url="https://hotpot.example.ge/")  # type: ignore[arg-type]
    assert ok.effective_public_base_url == "https://hotpot.example.ge"


def test_development_follows_host_and_port() -> None:
    assert Settings(port=9123).effective_public_base_url == "http://127.0.0.1:9123"
    wildcard = Settings(host="0.0.0.0", port=8000)
    assert wildcard.effective_public_base_url == "http://localhost:8000"


def test_it_must_be_an_http_origin() -> None:
    with pytest.raises(ValidationError, match="public_base_url"):
        Settings(public_base_url="javascript:alert(1)")
