"""The API in production reads the chain without the relay's key (only the relay gets it)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hotpot.bootstrap import build_context
from hotpot.chain.client import ChainClient, ChainError
from hotpot.config import DEV_RELAY_PRIVATE_KEY, Settings

PRODUCTION = {
    "hotpot_env": "production",
    "database_url": "postgresql://hotpot@127.0.0.1:1/none",
    "jwt_secret": "j" * 40,
    "encryption_key": "bWV0cmljcy1wb3J0LXRlc3QtZW5jcnlwdGlvbi1rZXk=",
    "receipt_code_secret": "r" * 40,
    "owner_address": "0x" + "11" * 20,
    "charity_address": "0x" + "22" * 20,
    "custody_address": "0x" + "33" * 20,
    "public_base_url": "https://api.example.test",
    "chain_rpc_urls": ["http://127.0.0.1:1"],
}


def test_production_api_builds_a_read_only_chain_client_without_the_key() -> None:
    settings = Settings(**PRODUCTION)  # type: ignore[arg-type]
    assert settings.relay_private_key is None and settings.signing_key is None
    ctx = build_context(settings)  # raised ConfigError before: the API could not start
    assert ctx.chain is not None
    with pytest.raises(ChainError, match="RELAY_PRIVATE_KEY is not set"):
        _ = ctx.chain.address


def test_a_client_with_a_key_signs_as_that_key() -> None:
    client = ChainClient(["http://127.0.0.1:1"], DEV_RELAY_PRIVATE_KEY)
    assert client.address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    development = Settings(hotpot_env="development")  # type: ignore[arg-type]
    assert development.signing_key == DEV_RELAY_PRIVATE_KEY


def test_an_api_process_imports_web3_only_when_it_calls_the_chain() -> None:
    """Issue 11: web3 is about 25 MB of a worker's RSS; an API worker that builds its
    chain client but serves no proof never needs it."""
    script = (
        "import sys\n"
        "from hotpot.app import create_app\n"
        "from hotpot.config import Settings\n"
        f"settings = Settings(**{PRODUCTION!r})\n"
        "create_app(settings)\n"
        "print('web3' in sys.modules)\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert found.stdout.strip().splitlines()[-1] == "False", found.stderr[-2000:]
