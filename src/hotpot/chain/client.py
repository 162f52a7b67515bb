"""A JSON-RPC chain client: failover across CHAIN_RPC_URLS, retries, local signing, nonces.

Every call goes to the current node; a connection failure (or a timeout) moves to the
next URL and retries with exponential backoff (tenacity). Transactions are signed here
with the relay's key and sent raw, so any node of the network can take them. The nonce
is read from the node as `pending` before each send: the relay is the only sender for its
key (one leader per key, by a PostgreSQL advisory lock), so that count is exact.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

import structlog
from eth_account import Account
from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from hotpot.telemetry.metrics import DEPENDENCY_UP

if TYPE_CHECKING:
    # web3 itself is imported on a client's first call (`ChainClient._nodes`): about
    # 25 MB of a process that never talks to the chain (an API worker serving no proof).
    from web3 import AsyncWeb3

log = structlog.get_logger(__name__)

T = TypeVar("T")


class ChainError(Exception):
    """The chain could not be reached, or refused what was sent."""


class ChainUnavailableError(ChainError):
    """No configured node answered (after retries across all URLs)."""


class NoContractError(ChainError):
    """A view answered nothing: no code at that address (a chain restarted from an older
    state, or empty, lost the deployment)."""


class TransactionReverted(ChainError):
    """A transaction was mined with status 0 (or its gas estimate reverted)."""


def _view_answer(to: str, raw: bytes) -> bytes:
    """A view's answer, or NoContractError when there is none.

    Every view we call returns data: nothing means no code at `to`, a chain that lost the
    deployment (a node restarted from an older state). A ChainError, so the relay retries
    and deploy finds the reset, instead of a decoding crash."""
    if not raw:
        raise NoContractError(f"empty answer from {to}: no contract there (chain reset?)")
    return raw


def _is_transport_error(exc: BaseException) -> bool:
    # aiohttp/OS-level failures, timeouts, and a node that went away mid-answer.
    name = type(exc).__name__
    return isinstance(exc, OSError | TimeoutError | asyncio.TimeoutError) or name in {
        "TimeExhausted",  # web3's own timeout
        "ClientConnectorError",
        "ClientOSError",
        "ServerDisconnectedError",
        "ClientPayloadError",
        "ClientResponseError",
    }


class ReceiptTimeout(TimeoutError):
    """No receipt came within the patience given (a transport error: the caller may resend)."""


class TransactionLost(ReceiptTimeout):
    """The node no longer knows a transaction it accepted (restarted from an older state)."""


# While waiting for a receipt, how often to ask whether the node still has the transaction:
# each check costs two more requests, and a lost one needs noticing in well under a block.
_LOST_CHECK_EVERY = 0.5


async def _receipt(w3: AsyncWeb3[Any], tx_hash: Any, patience: float) -> Any:
    """Wait for the receipt; give up at once when the node has forgotten the transaction.

    A node restarted from an older state has neither the receipt nor the transaction (or
    holds it behind a nonce gap, when the nonce was read before the restart): waiting
    out `patience` would stall settlement for nothing. Both end as a transport error, so the
    caller's retry sends again (a new transaction: the effect is made idempotent above us).
    """
    from web3.exceptions import TransactionNotFound

    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience
    next_check = loop.time()
    while True:
        try:
            return await w3.eth.get_transaction_receipt(tx_hash)
        except TransactionNotFound:
            pass
        if loop.time() >= next_check:
            next_check = loop.time() + _LOST_CHECK_EVERY
            try:
                tx = await w3.eth.get_transaction(tx_hash)
            except TransactionNotFound as exc:
                raise TransactionLost(f"the node lost transaction {_hex(tx_hash)}") from exc
            # Its nonce read before the restart, it waits behind a gap that nothing will fill.
            if tx["nonce"] > await w3.eth.get_transaction_count(tx["from"], "latest"):
                raise TransactionLost(f"transaction {_hex(tx_hash)} waits behind a nonce gap")
        if loop.time() > deadline:
            raise ReceiptTimeout(f"no receipt for {_hex(tx_hash)} in {patience} s")
        await asyncio.sleep(0.05)


def _hex(tx_hash: Any) -> str:
    return tx_hash if isinstance(tx_hash, str) else "0x" + bytes(tx_hash).hex()


class TransactionNotMined(ChainError):
    """A sent transaction was not mined: the node lost it, or no receipt came in time.

    Raised by `wait_for` without a resend (`transact` resends instead): the caller decides
    what to send again, in which order."""


@dataclass(frozen=True)
class Receipt:
    tx_hash: str
    block_number: int
    status: int
    gas_used: int
    contract_address: str | None = None
    block_hash: str = ""


class ChainClient:
    def __init__(
        self,
        urls: Sequence[str],
        private_key: str | None,
        *,
        request_timeout: float = 10.0,
        attempts: int = 6,
        max_wait: float = 5.0,
    ) -> None:
        if not urls:
            raise ChainError("no chain RPC URL configured")
        self.urls = list(urls)
        # No key: a read-only client (the API in production reads proofs, never sends).
        self._account = Account.from_key(private_key) if private_key else None
        self._attempts = attempts
        self._max_wait = max_wait
        self._request_timeout = request_timeout
        self._built: list[AsyncWeb3[Any]] = []
        self._current = 0
        # HTTP requests sent to a node, retries included (a JSON-RPC batch is one).
        self.requests = 0

    @property
    def account(self) -> Any:
        if self._account is None:
            raise ChainError("RELAY_PRIVATE_KEY is not set: this process reads the chain only")
        return self._account

    @property
    def address(self) -> ChecksumAddress:
        return cast(ChecksumAddress, self.account.address)

    @property
    def _nodes(self) -> list[AsyncWeb3[Any]]:
        """One web3 client per URL, built (and web3 imported) on the first call."""
        if not self._built:
            from web3 import AsyncHTTPProvider, AsyncWeb3

            timeout = {"timeout": self._request_timeout}
            self._built = [
                AsyncWeb3(AsyncHTTPProvider(url, request_kwargs=timeout)) for url in self.urls
            ]
        return self._built

    async def aclose(self) -> None:
        """Close every node's HTTP session (web3 caches one per provider)."""
        for node in self._built:
            await node.provider.disconnect()

    @property
    def url(self) -> str:
        return self.urls[self._current]

    async def call(self, fn: Callable[[AsyncWeb3[Any]], Awaitable[T]]) -> T:
        """Run `fn` against the current node; on a transport error fail over and retry."""
        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception(_is_transport_error),
                stop=stop_after_attempt(self._attempts * len(self.urls)),
                wait=wait_exponential(multiplier=0.05, max=self._max_wait),
                reraise=True,
            ):
                with attempt:
                    node = self._nodes[self._current]
                    self.requests += 1
                    try:
                        result = await fn(node)
                    except BaseException as exc:
                        if _is_transport_error(exc):
                            DEPENDENCY_UP.labels("chain").set(0)
                            previous = self.url
                            self._current = (self._current + 1) % len(self._nodes)
                            log.warning(
                                "chain node failed; failing over",
                                node=previous,
                                next=self.url,
                                error=type(exc).__name__,
                            )
                        raise
                    DEPENDENCY_UP.labels("chain").set(1)
                    return result
        except BaseException as exc:
            if _is_transport_error(exc):
                raise ChainUnavailableError(f"no chain node answered: {exc!r}") from exc
            raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def chain_id(self) -> int:
        return await self.call(lambda w3: w3.eth.chain_id)

    async def block_number(self) -> int:
        return int(await self.call(lambda w3: w3.eth.block_number))

    async def code_at(self, address: str) -> bytes:
        target = to_checksum_address(address)
        return bytes(await self.call(lambda w3: w3.eth.get_code(target)))

    async def eth_call(self, to: str, data: bytes, block: int | None = None) -> bytes:
        """A read-only call, on the latest state or on the state at `block`."""
        tx: Any = {"to": to_checksum_address(to), "data": data}
        at: Any = "latest" if block is None else block
        return _view_answer(to, bytes(await self.call(lambda w3: w3.eth.call(tx, at))))

    async def eth_calls(
        self, calls: Sequence[tuple[str, bytes]], block: int | None = None
    ) -> list[bytes]:
        """Many read-only calls as one JSON-RPC batch request (one HTTP round trip), in order.

        For reads over many addresses (the reconciler's balances): one request per call
        costs a round trip and the node's per-request work each time, and web3's per-call
        formatting costs more than the node's work, so the batch goes to the provider raw.
        """
        if not calls:
            return []
        at = "latest" if block is None else hex(block)
        requests = [("eth_call", [{"to": to, "data": "0x" + data.hex()}, at]) for to, data in calls]

        async def batch(w3: AsyncWeb3[Any]) -> list[Any]:
            from web3 import AsyncHTTPProvider

            provider = cast(AsyncHTTPProvider, w3.provider)
            answer = await provider.make_batch_request(requests)  # type: ignore[arg-type]
            if not isinstance(answer, list):
                raise ChainError(f"the node refused a batch request: {answer.get('error')}")
            return answer

        answers: list[bytes] = []
        for (to, _), item in zip(calls, await self.call(batch), strict=True):
            if "error" in item:
                raise ChainError(f"eth_call to {to} failed: {item['error']}")
            answers.append(_view_answer(to, bytes.fromhex(str(item.get("result") or "0x")[2:])))
        return answers

    async def get_logs(self, params: dict[str, Any]) -> list[Any]:
        return list(await self.call(lambda w3: w3.eth.get_logs(params)))  # type: ignore[arg-type]

    async def _send_on(
        self, w3: AsyncWeb3[Any], to: str | None, data: bytes, gas: int | None
    ) -> Any:
        """Sign and send one transaction to `w3`'s node; its hash (no wait)."""
        from web3.exceptions import ContractLogicError

        chain_id = await w3.eth.chain_id
        nonce = await w3.eth.get_transaction_count(self.address, "pending")
        gas_price = await w3.eth.gas_price
        tx: dict[str, Any] = {
            "from": self.address,
            "data": data,
            "nonce": nonce,
            "gasPrice": gas_price,
            "chainId": chain_id,
            "value": 0,
        }
        if to is not None:
            tx["to"] = to_checksum_address(to)
        if gas is None:
            try:
                estimate = await w3.eth.estimate_gas(tx, "pending")  # type: ignore[arg-type]
            except ContractLogicError as exc:
                # Only the EVM's refusal is a revert; a node's other errors (no funds,
                # a bad nonce) keep their type so nobody mistakes them for one.
                raise TransactionReverted(f"the transaction would revert: {exc}") from exc
            tx["gas"] = int(estimate * 6 // 5) + 10_000
        else:
            tx["gas"] = gas
        signed = self.account.sign_transaction(tx)
        return await w3.eth.send_raw_transaction(signed.raw_transaction)

    async def transact(
        self, to: str | None, data: bytes, *, gas: int | None = None, wait: float = 60.0
    ) -> Receipt:
        """Sign and send one transaction, wait for its receipt; TransactionReverted on status 0.

        The nonce, gas price and gas estimate are read fresh each time, from whichever node
        answers; a resend after a failure is therefore a new transaction (the caller makes
        the effect idempotent: the registry ignores a batch id it has seen).
        """

        async def send(w3: AsyncWeb3[Any]) -> Receipt:
            tx_hash = await self._send_on(w3, to, data, gas)
            return _as_receipt(await _receipt(w3, tx_hash, wait))

        return _mined(await self.call(send))

    async def send(self, to: str | None, data: bytes, *, gas: int | None = None) -> str:
        """Sign and send one transaction without waiting for it: its hash (`wait_for` it).

        Sends one after another take consecutive nonces (read as `pending`, which counts
        what the node holds unmined), so several can go into one block."""
        tx_hash = await self.call(lambda w3: self._send_on(w3, to, data, gas))
        return _hex(tx_hash)

    async def wait_for(self, tx_hash: str, *, wait: float = 60.0) -> Receipt:
        """The receipt of a transaction `send` sent; TransactionReverted on status 0,
        TransactionNotMined (nothing resent) when the node lost it or `wait` ran out."""

        async def receipt(w3: AsyncWeb3[Any]) -> Receipt:
            try:
                return _as_receipt(await _receipt(w3, tx_hash, wait))
            except ReceiptTimeout as exc:  # TransactionLost included
                raise TransactionNotMined(str(exc)) from exc

        return _mined(await self.call(receipt))


def _as_receipt(receipt: Any) -> Receipt:
    return Receipt(
        tx_hash="0x" + bytes(receipt["transactionHash"]).hex(),
        block_number=int(receipt["blockNumber"]),
        status=int(receipt["status"]),
        gas_used=int(receipt["gasUsed"]),
        contract_address=receipt.get("contractAddress"),
        block_hash="0x" + bytes(receipt["blockHash"]).hex(),
    )


def _mined(receipt: Receipt) -> Receipt:
    if receipt.status != 1:
        raise TransactionReverted(f"transaction {receipt.tx_hash} reverted")
    return receipt
