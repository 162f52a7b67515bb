"""Sign in with Ethereum on the pages: the web route verifies through the accounts service."""

from __future__ import annotations

import httpx
from eth_account import Account
from eth_account.messages import encode_defunct

from tests.web.conftest import Browser, csrf_of


def _sign(key: bytes, message: str) -> str:
    signed = Account.sign_message(encode_defunct(text=message), private_key=key)
    return "0x" + signed.signature.hex().removeprefix("0x")


async def _message_for(browser: httpx.AsyncClient, address: str) -> tuple[str, str]:
    """What static/siwe.js does first: the sign-in page's CSRF token, then the message."""
    shown = await browser.get("/app/signin")
    assert 'id="siwe"' in shown.text and "/app/static/siwe.js" in shown.text
    csrf = csrf_of(shown.text)
    answer = await browser.post(
        "/app/signin/ethereum/message", data={"csrf": csrf, "address": address}
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return csrf, answer.text


async def test_a_wallet_signs_in_and_lands_signed_in(browser_factory: Browser) -> None:
    wallet = Account.create()
    browser = await browser_factory()
    # Wallets hand out lower-case addresses; the message carries the EIP-55 form.
    csrf, message = await _message_for(browser, wallet.address.lower())
    assert wallet.address in message
    assert "Sign in to The Hot Pot Spot" in message
    # A browser's form sends newlines as CRLF: the route signs-in the LF text all the same.
    signed = await browser.post(
        "/app/signin/ethereum",
        data={
            "csrf": csrf,
            "message": message.replace("\n", "\r\n"),
            "signature": _sign(wallet.key, message),
            "next": "/app/wallet",
        },
    )
    assert signed.status_code == 303, signed.text
    assert signed.headers["location"] == "/app/wallet"
    assert "hotpot_session" in browser.cookies
    assert "hotpot_refresh" in browser.cookies
    wallet_page = await browser.get("/app/wallet")
    assert wallet_page.status_code == 200
    assert wallet.address in wallet_page.text


async def test_a_wrong_signature_is_refused_in_words(browser_factory: Browser) -> None:
    wallet, impostor = Account.create(), Account.create()
    browser = await browser_factory()
    csrf, message = await _message_for(browser, wallet.address)
    refused = await browser.post(
        "/app/signin/ethereum",
        data={"csrf": csrf, "message": message, "signature": _sign(impostor.key, message)},
    )
    assert refused.status_code == 401
    assert "sign-in message refused" in refused.text
    assert "hotpot_session" not in browser.cookies
    # A message that is not EIP-4361 at all, and no signature: refused in words too.
    garbage = await browser.post(
        "/app/signin/ethereum", data={"csrf": csrf, "message": "hello", "signature": "0x00"}
    )
    assert garbage.status_code == 401
    assert "not EIP-4361" in garbage.text
    empty = await browser.post("/app/signin/ethereum", data={"csrf": csrf})
    assert empty.status_code == 422
    assert "no signed message" in empty.text


async def test_a_used_message_cannot_sign_in_again(browser_factory: Browser) -> None:
    wallet = Account.create()
    browser = await browser_factory()
    csrf, message = await _message_for(browser, wallet.address)
    fields = {"csrf": csrf, "message": message, "signature": _sign(wallet.key, message)}
    assert (await browser.post("/app/signin/ethereum", data=fields)).status_code == 303
    thief = await browser_factory()
    shown = await thief.get("/app/signin")
    replay = await thief.post("/app/signin/ethereum", data={**fields, "csrf": csrf_of(shown.text)})
    assert replay.status_code == 401
    assert "nonce unknown or used" in replay.text


async def test_the_ethereum_routes_need_the_csrf_token(browser_factory: Browser) -> None:
    wallet = Account.create()
    browser = await browser_factory()
    _, message = await _message_for(browser, wallet.address)
    for path, fields in (
        ("/app/signin/ethereum/message", {"address": wallet.address}),
        (
            "/app/signin/ethereum",
            {"message": message, "signature": _sign(wallet.key, message)},
        ),
    ):
        missing = await browser.post(path, data=fields)
        assert missing.status_code == 403, path
        assert "form has expired" in missing.text
    assert "hotpot_session" not in browser.cookies


async def test_a_bad_address_gets_no_message(browser_factory: Browser) -> None:
    browser = await browser_factory()
    shown = await browser.get("/app/signin")
    answer = await browser.post(
        "/app/signin/ethereum/message", data={"csrf": csrf_of(shown.text), "address": "0x123"}
    )
    assert answer.status_code == 422
    assert answer.text == "this is not an Ethereum address"
