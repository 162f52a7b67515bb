"""GCRA rate limits, shared through Redis and per-process when Redis is absent.

The rule is `hotpot.security.gcra`; `GCRA_SCRIPT` is the same arithmetic in Lua, so Redis
applies it atomically for every process. The time comes from the limiter's `clock` (wall
clock seconds, moved by tests), passed to the script rather than read from Redis.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from hotpot.adapters.cache import Cache
from hotpot.domain.errors import RateLimited
from hotpot.security.gcra import MAX_STRIKES, Bucket, Decision, Rate, decide, whole_seconds
from hotpot.telemetry.metrics import RATE_LIMITED

# KEYS[1] the bucket; ARGV: now, limit, period seconds, backoff (0/1), max strikes.
# Returns {allowed (0/1), retry_after seconds as a string} (Lua numbers become integers).
GCRA_SCRIPT = """
local now = tonumber(ARGV[1])
local period = tonumber(ARGV[3])
local interval = period / tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tat', 'strikes')
local tat = tonumber(state[1]) or 0
local strikes = tonumber(state[2]) or 0
if tat <= now then strikes = 0 end
if tat < now then tat = now end
local allow_at = tat + interval - period
local allowed = 0
local retry = 0
if now >= allow_at then
  allowed = 1
  tat = tat + interval
else
  local wait = allow_at - now
  if ARGV[4] ~= '1' or wait > interval then
    return {0, string.format('%.17g', wait)}
  end
  strikes = math.min(strikes + 1, tonumber(ARGV[5]))
  retry = math.min(interval * 2 ^ strikes, period)
  tat = tat + retry - wait
end
redis.call('HSET', KEYS[1], 'tat', string.format('%.17g', tat), 'strikes', strikes)
redis.call('PEXPIRE', KEYS[1], math.ceil((tat - now) * 1000) + 1000)
return {allowed, string.format('%.17g', retry)}
"""


@dataclass
class LocalBuckets:
    """The per-process fallback: the same rule, its buckets kept in memory."""

    buckets: dict[str, Bucket] = field(default_factory=dict)

    def hit(self, key: str, now: float, rate: Rate) -> Decision:
        decision = decide(self.buckets.get(key, Bucket()), now, rate)
        self.buckets[key] = decision.bucket
        if len(self.buckets) > 100_000:  # bound memory under a flood of distinct keys
            self.buckets = {k: b for k, b in self.buckets.items() if b.tat > now}
        return decision


class RateLimiter:
    def __init__(self, cache: Cache, clock: Callable[[], float] = time.time) -> None:
        self._cache = cache
        self._local = LocalBuckets()
        self.clock = clock  # wall-clock seconds: buckets in Redis are shared across hosts

    async def _decide(self, key: str, rate: Rate) -> tuple[bool, float]:
        now = self.clock()
        args: list[str | int | float] = [
            repr(now),
            rate.limit,
            repr(float(rate.period_seconds)),
            int(rate.backoff),
            MAX_STRIKES,
        ]
        shared = await self._cache.run_script(GCRA_SCRIPT, [key], args)
        if isinstance(shared, list) and len(shared) == 2:
            return bool(int(shared[0])), float(shared[1])
        decision = self._local.hit(key, now, rate)
        return decision.allowed, decision.retry_after

    async def check(
        self, name: str, subject: str, limit: int, period_seconds: int, *, backoff: bool = False
    ) -> None:
        """Count one request of `subject` against limit `name`; raise 429 past the limit."""
        # Hashes under their own prefix, apart from the old fixed-window counters.
        key = f"gcra:{name}:{subject}"
        allowed, retry_after = await self._decide(key, Rate(limit, period_seconds, backoff))
        if not allowed:
            RATE_LIMITED.labels(name).inc()
            seconds = whole_seconds(retry_after)
            raise RateLimited(
                "rate_limited",
                f"too many requests; try again in {seconds} s",
                retry_after=seconds,
            )
