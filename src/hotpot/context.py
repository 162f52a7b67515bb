"""The adapters a service can reach, built once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from hotpot.adapters.cache import Cache
from hotpot.adapters.database import Database
from hotpot.adapters.ratelimit import RateLimiter
from hotpot.config import Settings
from hotpot.security.pii import PiiVault


@dataclass
class AppContext:
    settings: Settings
    db: Database
    cache: Cache
    limiter: RateLimiter
    vault: PiiVault
