"""Fixed-window rate limits, shared through Redis and per-process when Redis is absent."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from hotpot.adapters.cache import Cache
from hotpot.domain.errors import RateLimited
from hotpot.telemetry.metrics import RATE_LIMITED


@dataclass
class LocalWindows:
    """The per-process fallback: the same fixed windows, kept in memory."""

    counts: dict[str, tuple[int, float]] = field(default_factory=dict)

    def hit(self, key: str, window_seconds: int) -> tuple[int, int]:
        now = time.monotonic()
        count, resets_at = self.counts.get(key, (0, now + window_seconds))
        if now >= resets_at:
            count, resets_at = 0, now + window_seconds
        count += 1
        self.counts[key] = (count, resets_at)
        if len(self.counts) > 100_000:  # bound memory under a flood of distinct keys
            self.counts = {k: v for k, v in self.counts.items() if v[1] > now}
        return count, max(int(resets_at - now), 1)


class RateLimiter:
    def __init__(self, cache: Cache) -> None:
        self._cache = cache
        self._local = LocalWindows()

    async def check(self, name: str, subject: str, limit: int, window_seconds: int) -> None:
        """Count one hit of `subject` against limit `name`; raise 429 past the limit."""
        key = f"rl:{name}:{int(time.time()) // window_seconds}:{subject}"
        shared = await self._cache.incr_window(key, window_seconds)
        count, retry_after = shared or self._local.hit(key, window_seconds)
        if count > limit:
            RATE_LIMITED.labels(name).inc()
            raise RateLimited(
                "rate_limited",
                f"too many requests; try again in {retry_after} s",
                retry_after=retry_after,
            )
