"""The adapters a service can reach, built once by the bootstrap (`hotpot.bootstrap`)."""

from __future__ import annotations

from dataclasses import dataclass

from hotpot.adapters.cache import Cache
from hotpot.adapters.database import Database
from hotpot.adapters.ipfs import IpfsStore
from hotpot.adapters.ratelimit import RateLimiter
from hotpot.chain.client import ChainClient
from hotpot.config import Settings
from hotpot.domain.errors import Unavailable
from hotpot.security.codes import ReceiptCodes
from hotpot.security.passwords import Passwords
from hotpot.security.pii import PiiVault

CHAIN_RETRY_SECONDS = 30


@dataclass
class AppContext:
    settings: Settings
    db: Database
    cache: Cache
    limiter: RateLimiter
    vault: PiiVault
    passwords: Passwords
    # Keyed hash of receipt activation codes (argon2 ones from before still verify).
    codes: ReceiptCodes
    # None when no chain is configured (and no embedded one started): orders and sales
    # still commit, their outbox rows wait for a chain.
    chain: ChainClient | None
    # Where settlement records are published (Kubo when IPFS_API_URL is set, else local).
    store: IpfsStore

    def require_chain(self) -> ChainClient:
        if self.chain is None:
            raise Unavailable(
                "chain_unavailable",
                "no chain is configured (CHAIN_RPC_URLS is not set)",
                retry_after=CHAIN_RETRY_SECONDS,
            )
        return self.chain
