"""Sign in with Ethereum in a real browser: an EIP-1193 provider whose `personal_sign` is
answered by a real key in Python (eth-account), as a wallet extension would."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from playwright.async_api import expect

from tests.browser.conftest import Person

pytestmark = pytest.mark.browser

MakePerson = Callable[..., Awaitable[Person]]

# The smallest EIP-1193 provider: accounts, and personal_sign handed to Python.
PROVIDER = """
window.ethereum = {
  isHotpotTestWallet: true,
  request: async ({ method, params }) => {
    if (method === "eth_requestAccounts" || method === "eth_accounts") {
      return [await window.hotpotWalletAddress()];
    }
    if (method === "personal_sign") {
      return await window.hotpotWalletSign(params[0], params[1]);
    }
    throw Object.assign(new Error("unsupported method " + method), { code: 4200 });
  },
};
"""


async def test_a_wallet_signs_in_and_sees_its_address(person: MakePerson) -> None:
    wallet = Account.create()
    asked: list[str] = []

    def address() -> str:
        return wallet.address.lower()  # as wallets hand it out

    def sign(message_hex: str, signer: str) -> str:
        assert signer.lower() == wallet.address.lower()
        text = bytes.fromhex(message_hex.removeprefix("0x")).decode()
        asked.append(text)
        signed = Account.sign_message(encode_defunct(text=text), private_key=wallet.key)
        return "0x" + signed.signature.hex().removeprefix("0x")

    customer = await person("wallet")
    await customer.page.expose_function("hotpotWalletAddress", address)
    await customer.page.expose_function("hotpotWalletSign", sign)
    await customer.page.add_init_script(PROVIDER)
    await customer.go("/app/signin")
    button = customer.page.get_by_role("button", name="Sign in with Ethereum")
    await expect(button).to_be_visible()
    await customer.shot("signin-wallet-phone")
    await button.click()
    await expect(customer.page.get_by_role("heading", name="Choose a restaurant")).to_be_visible()
    assert len(asked) == 1
    assert wallet.address in asked[0]  # EIP-55 form in the message
    assert "Sign in to The Hot Pot Spot" in asked[0]
    await customer.go("/app/wallet")
    await expect(customer.page.get_by_text(wallet.address)).to_be_visible()
    assert customer.problems == []


async def test_without_a_wallet_there_is_no_ethereum_button(person: MakePerson) -> None:
    visitor = await person("no-wallet")
    await visitor.go("/app/signin")
    await expect(visitor.page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    await expect(visitor.page.locator("#siwe")).to_be_hidden()
    assert visitor.problems == []


async def test_a_wallet_that_refuses_to_sign_is_told_so(person: MakePerson) -> None:
    wallet = Account.create()
    customer = await person("refusing-wallet")

    def refuse(message_hex: str, signer: str) -> str:
        raise RuntimeError("user rejected the request")

    await customer.page.expose_function("hotpotWalletAddress", lambda: wallet.address)
    await customer.page.expose_function("hotpotWalletSign", refuse)
    await customer.page.add_init_script(PROVIDER)
    await customer.go("/app/signin")
    await customer.page.get_by_role("button", name="Sign in with Ethereum").click()
    await expect(customer.page.locator("#siwe-problem")).to_have_text(
        "The wallet did not sign: nothing was sent."
    )
    assert customer.page.url.endswith("/app/signin")
