"""Content-addressed storage for settlement records: a Kubo RPC client and a local store.

Both stores give the same CID for the same bytes: CIDv1, raw codec, sha2-256,
base32 (`hotpot.domain.canonical.raw_cid`). That CID only names the bytes
themselves while they fit in ONE block, and Kubo splits files into 256 KiB chunks,
so both stores **refuse** payloads above `MAX_BLOCK_SIZE` (262 144 bytes) with
`PayloadTooLargeError` instead of chunking: a settlement record is a few hundred bytes.

* `KuboRpcStore` — `IPFS_API_URL` (Kubo, IPFS Cluster's proxy, or js-ipfs: the same
  RPC API). Connection errors are retried with backoff (every call here is
  idempotent); node answers are mapped to the exceptions below; the CID the node
  returns and the bytes it serves are checked against the content.
* `LocalBlockStore` — the embedded default: one file per block, named by its CID,
  under the data directory; written atomically (temp file + rename); bytes re-hashed
  on read so a corrupted file is reported, never served.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self, runtime_checkable

import httpx
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from hotpot.adapters.files import write_atomically
from hotpot.domain.canonical import (
    MAX_BLOCK_SIZE,
    CanonicalError,
    matches_raw_cid,
    parse_cid,
    raw_cid,
)

__all__ = [
    "MAX_BLOCK_SIZE",
    "InvalidCidError",
    "IpfsError",
    "IpfsIntegrityError",
    "IpfsNotFoundError",
    "IpfsStore",
    "IpfsUnavailableError",
    "KuboRpcStore",
    "LocalBlockStore",
    "PayloadTooLargeError",
    "open_ipfs_store",
]


class IpfsError(Exception):
    """The IPFS store failed; the message says what the node or disk said."""


class IpfsNotFoundError(IpfsError):
    """No block with this CID is available (locally, or within the fetch timeout)."""

    def __init__(self, cid: str, detail: str = "") -> None:
        self.cid = cid
        super().__init__(f"block {cid} not found" + (f": {detail}" if detail else ""))


class IpfsUnavailableError(IpfsError):
    """The IPFS node could not be reached (after retries)."""


class IpfsIntegrityError(IpfsError):
    """Content and CID disagree: the node or the disk returned something else."""


class PayloadTooLargeError(IpfsError, ValueError):
    """The payload does not fit in one block, so its raw CID would not match Kubo's."""


class InvalidCidError(IpfsError, ValueError):
    """The string given as a CID is not one."""


@runtime_checkable
class IpfsStore(Protocol):
    async def add(self, data: bytes) -> str:
        """Store (and pin) `data`; return its CIDv1 (raw, sha2-256, base32)."""
        ...

    async def pin(self, cid: str) -> None:
        """Keep the block with `cid`; IpfsNotFoundError if it is not available."""
        ...

    async def cat(self, cid: str) -> bytes:
        """The bytes of `cid`, verified against it; IpfsNotFoundError if missing."""
        ...

    async def has(self, cid: str) -> bool:
        """True when the block is stored locally (never fetches from the network)."""
        ...

    async def aclose(self) -> None:
        """Release what the store holds open (the bootstrap calls it at shutdown)."""
        ...


def _check_payload(data: bytes) -> None:
    if len(data) > MAX_BLOCK_SIZE:
        raise PayloadTooLargeError(
            f"payload is {len(data)} bytes; one block holds at most {MAX_BLOCK_SIZE}"
        )


def _normalised_cid(cid: str) -> str:
    """The CID in CIDv1 base32 form (the file name and the API argument)."""
    try:
        parsed = parse_cid(cid)
    except CanonicalError as exc:
        raise InvalidCidError(str(exc)) from exc
    return str(parsed.set(version=1, base="base32")) if parsed.version == 1 else cid


# --- local block store ---------------------------------------------------------------


class LocalBlockStore:
    """Blocks as files named by CID, sharded like Kubo's flatfs (`next-to-last/2`).

    Blocks are never garbage-collected here, so every stored block stays pinned;
    `pin` only checks that the block is present.
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def path_for(self, cid: str) -> Path:
        name = _normalised_cid(cid)
        return self.root / name[-3:-1] / name

    async def add(self, data: bytes) -> str:
        _check_payload(data)
        cid = raw_cid(data)
        await asyncio.to_thread(self._write_block, self.path_for(cid), data)
        return cid

    async def pin(self, cid: str) -> None:
        if not await self.has(cid):
            raise IpfsNotFoundError(cid, "not in the local block store")

    async def cat(self, cid: str) -> bytes:
        path = self.path_for(cid)
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError as exc:
            raise IpfsNotFoundError(cid, "not in the local block store") from exc
        if not matches_raw_cid(cid, data):
            raise IpfsIntegrityError(f"block file {path} does not hash to {cid}")
        return data

    async def has(self, cid: str) -> bool:
        return await asyncio.to_thread(self.path_for(cid).is_file)

    async def aclose(self) -> None:
        """Nothing to release: every call opens and closes its own file."""

    @staticmethod
    def _write_block(path: Path, data: bytes) -> None:
        if path.is_file():
            return  # content-addressed: an existing file already holds these bytes
        path.parent.mkdir(parents=True, exist_ok=True)
        # Readers see the whole block or none.
        write_atomically(path, data)


# --- Kubo RPC client -----------------------------------------------------------------

# How Kubo and js-ipfs say "this block is not here / could not be fetched in time".
_NOT_FOUND = re.compile(
    r"not found|could not find|timed out|deadline exceeded|no link named|not pinned",
    re.IGNORECASE,
)
_MULTIADDR = re.compile(r"/(?:ip4|ip6|dns|dns4|dns6)/([^/]+)/tcp/(\d+)(?:/(https?))?/?")


def api_base_url(api: str) -> str:
    """`http://host:5001` as given, or a Kubo multiaddr `/ip4/127.0.0.1/tcp/5001`."""
    match = _MULTIADDR.fullmatch(api)
    if match:
        host, port, scheme = match.groups()
        host = f"[{host}]" if ":" in host else host
        return f"{scheme or 'http'}://{host}:{port}"
    if not api.startswith(("http://", "https://")):
        raise ValueError(f"IPFS_API_URL must be http(s)://host:port or a multiaddr: {api!r}")
    return api.rstrip("/")


def _go_duration(seconds: float) -> str:
    return f"{max(1, round(seconds * 1000))}ms"


class KuboRpcStore:
    """Client of the Kubo RPC API (`POST /api/v0/...`)."""

    def __init__(
        self,
        api_url: str,
        *,
        fetch_timeout: float = 10.0,
        has_timeout: float = 1.0,
        request_timeout: float = 30.0,
        attempts: int = 4,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.api_url = api_base_url(api_url)
        # Server-side limits (Kubo's global `timeout` option) turn "block not
        # available" into an answer instead of an endless network search.
        self._fetch_timeout = _go_duration(fetch_timeout)
        self._has_timeout = _go_duration(has_timeout)
        self._attempts = attempts
        self._own_client = client is None
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(request_timeout + fetch_timeout)
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own_client:
            await self._client.aclose()

    async def add(self, data: bytes) -> str:
        _check_payload(data)
        expected = raw_cid(data)
        params = {
            "cid-version": "1",
            "raw-leaves": "true",
            "cid-base": "base32",
            "hash": "sha2-256",
            "chunker": f"size-{MAX_BLOCK_SIZE}",
            "pin": "true",
        }
        response = await self._post("add", expected, params=params, files={"file": ("block", data)})
        # The body is one JSON object per line (progress lines may precede the result).
        last = json.loads(response.text.strip().splitlines()[-1])
        returned = str(last.get("Hash", ""))
        if _normalised_cid(returned) != expected:
            raise IpfsIntegrityError(f"node returned CID {returned}, expected {expected}")
        return expected

    async def pin(self, cid: str) -> None:
        arg = _normalised_cid(cid)
        await self._post("pin/add", arg, params={"arg": arg, "timeout": self._fetch_timeout})

    async def cat(self, cid: str) -> bytes:
        arg = _normalised_cid(cid)
        response = await self._post("cat", arg, params={"arg": arg, "timeout": self._fetch_timeout})
        data = response.content
        # Only a raw block's bytes hash to its CID; other codecs are served unchecked.
        if parse_cid(arg).codec.name == "raw" and not matches_raw_cid(arg, data):
            raise IpfsIntegrityError(f"node served {len(data)} bytes that do not hash to {arg}")
        return data

    async def has(self, cid: str) -> bool:
        arg = _normalised_cid(cid)
        # `offline` makes Kubo answer from its own blockstore at once; nodes that
        # ignore it (js-ipfs) give up after the short `timeout`.
        params = {"arg": arg, "offline": "true", "timeout": self._has_timeout}
        try:
            await self._post("block/stat", arg, params=params)
        except IpfsNotFoundError:
            return False
        return True

    async def _post(self, command: str, cid: str, **kwargs: Any) -> httpx.Response:
        url = f"{self.api_url}/api/v0/{command}"
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self._attempts),
                wait=wait_exponential(multiplier=0.1, max=2.0),
                retry=retry_if_exception_type(httpx.TransportError),
                reraise=True,
            ):
                with attempt:
                    response = await self._client.post(url, **kwargs)
        except httpx.TransportError as exc:
            raise IpfsUnavailableError(
                f"IPFS node at {self.api_url} unreachable ({command}): {exc!r}"
            ) from exc
        if response.is_success:
            return response
        raise _error_from(command, cid, response)


def _error_from(command: str, cid: str, response: httpx.Response) -> IpfsError:
    """Map a Kubo RPC error answer (`{"Message": ..., "Type": "error"}`) to an exception."""
    try:
        message = str(response.json().get("Message", ""))
    except (ValueError, AttributeError):
        message = response.text[:200]
    if response.status_code == httpx.codes.INTERNAL_SERVER_ERROR and _NOT_FOUND.search(message):
        return IpfsNotFoundError(cid, message)
    return IpfsError(f"IPFS {command} failed with HTTP {response.status_code}: {message}")


def open_ipfs_store(api_url: str | None, data_dir: Path) -> KuboRpcStore | LocalBlockStore:
    """`IPFS_API_URL` when configured, else the local block store in the data dir."""
    if api_url:
        return KuboRpcStore(api_url)
    return LocalBlockStore(data_dir / "ipfs" / "blocks")
