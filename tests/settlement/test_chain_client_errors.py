"""Against a real anvil: only the EVM's refusal is a TransactionReverted; other node errors
keep their own type; a view of an address without code is a NoContractError."""

from __future__ import annotations

import secrets

import pytest
from web3.exceptions import Web3RPCError

from hotpot.chain.anvil import EmbeddedAnvil
from hotpot.chain.client import ChainClient, NoContractError, TransactionReverted
from hotpot.config import Settings

# PUSH1 0 PUSH1 0 REVERT: creation code that always reverts.
REVERTING_INITCODE = bytes.fromhex("60006000fd")
# PUSH1 0 PUSH1 0 RETURN: creation code of an empty contract.
EMPTY_INITCODE = bytes.fromhex("60006000f3")


async def test_a_reverting_transaction_is_transaction_reverted(chain_settings: Settings) -> None:
    client = ChainClient(chain_settings.chain_rpc_urls, chain_settings.effective_relay_private_key)
    try:
        with pytest.raises(TransactionReverted):
            await client.transact(None, REVERTING_INITCODE)
    finally:
        await client.aclose()


async def test_a_sender_without_funds_is_not_a_revert(anvil: EmbeddedAnvil) -> None:
    # A fresh key holds no ether: the node refuses the estimate (anvil: "gas required
    # exceeds allowance: 0", the allowance being balance / gas price).
    client = ChainClient([anvil.url], "0x" + secrets.token_hex(32))
    try:
        with pytest.raises(Exception) as caught:
            await client.transact(None, EMPTY_INITCODE)
    finally:
        await client.aclose()
    assert not isinstance(caught.value, TransactionReverted), repr(caught.value)
    assert isinstance(caught.value, Web3RPCError), repr(caught.value)
    assert "revert" not in str(caught.value).lower()


async def test_a_view_of_an_address_without_code_is_no_contract(anvil: EmbeddedAnvil) -> None:
    # What a chain restarted empty answers for the recorded deployment's addresses.
    client = ChainClient([anvil.url], None)
    nowhere = "0x" + secrets.token_hex(20)
    try:
        with pytest.raises(NoContractError):
            await client.eth_call(nowhere, bytes.fromhex("18160ddd"))  # totalSupply()
        with pytest.raises(NoContractError):
            await client.eth_calls([(nowhere, bytes.fromhex("18160ddd"))])
    finally:
        await client.aclose()
