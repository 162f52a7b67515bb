"""Sign-in with Ethereum (EIP-4361): real signatures from eth-account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from eth_account import Account
from eth_account.messages import encode_defunct
from siwe import SiweMessage

from hotpot.context import AppContext


async def _nonce(client: httpx.AsyncClient) -> str:
    response = await client.get("/api/v1/auth/siwe/nonce")
    assert response.status_code == 200
    return str(response.json()["nonce"])


def _message(
    ctx: AppContext,
    address: str,
    nonce: str,
    *,
    domain: str | None = None,
    expires: datetime | None = None,
) -> str:
    now = datetime.now(UTC)
    return SiweMessage(
        domain=domain or ctx.settings.siwe_domain,
        address=address,
        statement="Sign in to The Hot Pot Spot",
        uri=ctx.settings.siwe_uri,
        version="1",
        chain_id=ctx.settings.siwe_chain_id,
        nonce=nonce,
        issued_at=now.isoformat().replace("+00:00", "Z"),
        expiration_time=(expires or now + timedelta(minutes=5)).isoformat().replace("+00:00", "Z"),
    ).prepare_message()


def _sign(key: bytes, message: str) -> str:
    signed = Account.sign_message(encode_defunct(text=message), private_key=key)
    return "0x" + signed.signature.hex().removeprefix("0x")


async def _sign_in(client: httpx.AsyncClient, message: str, signature: str) -> httpx.Response:
    return await client.post("/api/v1/auth/siwe", json={"message": message, "signature": signature})


async def test_wallet_signs_in_and_gets_an_account(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    wallet = Account.create()
    message = _message(ctx, wallet.address, await _nonce(client))
    response = await _sign_in(client, message, _sign(wallet.key, message))
    assert response.status_code == 200, response.text
    me = await client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"}
    )
    assert me.json()["wallet_address"] == wallet.address
    assert me.json()["wallet_custodial"] is False


async def test_wrong_signature_is_refused(client: httpx.AsyncClient, ctx: AppContext) -> None:
    wallet, impostor = Account.create(), Account.create()
    message = _message(ctx, wallet.address, await _nonce(client))
    response = await _sign_in(client, message, _sign(impostor.key, message))
    assert response.status_code == 401
    assert response.json()["code"] == "siwe_rejected"


async def test_replayed_nonce_is_refused(client: httpx.AsyncClient, ctx: AppContext) -> None:
    wallet = Account.create()
    message = _message(ctx, wallet.address, await _nonce(client))
    signature = _sign(wallet.key, message)
    assert (await _sign_in(client, message, signature)).status_code == 200
    replay = await _sign_in(client, message, signature)
    assert replay.status_code == 401
    assert "nonce" in replay.json()["detail"]


async def test_nonce_the_server_never_issued_is_refused(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    wallet = Account.create()
    message = _message(ctx, wallet.address, "madeUpNonce12345")
    assert (await _sign_in(client, message, _sign(wallet.key, message))).status_code == 401


async def test_expired_message_is_refused(client: httpx.AsyncClient, ctx: AppContext) -> None:
    wallet = Account.create()
    message = _message(
        ctx, wallet.address, await _nonce(client), expires=datetime.now(UTC) - timedelta(minutes=1)
    )
    response = await _sign_in(client, message, _sign(wallet.key, message))
    assert response.status_code == 401
    assert "ExpiredMessage" in response.json()["detail"]


async def test_message_for_another_domain_is_refused(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    wallet = Account.create()
    message = _message(ctx, wallet.address, await _nonce(client), domain="evil.example.com")
    response = await _sign_in(client, message, _sign(wallet.key, message))
    assert response.status_code == 401
    assert "DomainMismatch" in response.json()["detail"]


async def test_malformed_message_is_refused_clearly(client: httpx.AsyncClient) -> None:
    response = await _sign_in(client, "hello " * 20, "0x" + "ab" * 65)
    assert response.status_code == 401
    assert response.json()["code"] == "siwe_malformed"
