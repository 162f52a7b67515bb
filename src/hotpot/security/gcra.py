"""The rate-limit rule: GCRA (the generic cell rate algorithm), pure, no I/O, no clock.

A bucket admits `limit` requests per `period_seconds`: a burst of `limit` at once, then one
every `period / limit` seconds. Its whole state is the theoretical arrival time (`tat`):
when the bucket will be empty again. Unlike a window tied to the clock minute it has no
edge: 12 attempts within two seconds meet the same limit whether or not a minute turns
between them.

With `backoff`, a caller that keeps hitting a full bucket waits twice as long each time
(2, 4, 8 ... emission intervals, at most one period); the strikes are forgiven once the
bucket has drained. Only a refusal that would have been admitted within one interval
strikes (the bucket merely full); refusals earlier in a wait change nothing, so hammering
does not stretch the wait.

`hotpot.adapters.ratelimit` runs this rule in Redis (the same arithmetic in a Lua script,
atomic across processes) and in process memory when Redis is down.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_STRIKES = 64  # 2**64 intervals exceed any period; keeps the arithmetic in floats


@dataclass(frozen=True)
class Rate:
    limit: int
    period_seconds: float
    backoff: bool = False

    def __post_init__(self) -> None:
        if self.limit < 1 or self.period_seconds <= 0:
            raise ValueError("a rate needs limit >= 1 and a positive period")

    @property
    def interval(self) -> float:
        """Seconds one request takes of the bucket (the emission interval)."""
        return self.period_seconds / self.limit


@dataclass(frozen=True)
class Bucket:
    tat: float = 0.0  # when the bucket is empty again (seconds, the caller's clock)
    strikes: int = 0  # backoffs in a row (only with Rate.backoff)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    bucket: Bucket  # the state to store
    retry_after: float  # seconds until a request would be admitted (0 when allowed)


def whole_seconds(wait: float) -> int:
    """A wait as whole seconds for a Retry-After header (rounded up, at least 1)."""
    return max(math.ceil(wait), 1)


def decide(bucket: Bucket, now: float, rate: Rate) -> Decision:
    """Admit or refuse one request arriving at `now`; returns the state to store."""
    interval = rate.interval
    strikes = 0 if bucket.tat <= now else bucket.strikes  # drained: strikes forgiven
    tat = max(bucket.tat, now)
    allow_at = tat + interval - rate.period_seconds
    if now >= allow_at:
        return Decision(True, Bucket(tat + interval, strikes), 0.0)
    wait = allow_at - now
    if not rate.backoff or wait > interval:
        # A plain refusal, or one inside a backoff wait: the state does not change.
        return Decision(False, Bucket(tat, strikes), wait)
    strikes = min(strikes + 1, MAX_STRIKES)
    total = min(interval * 2**strikes, rate.period_seconds)  # >= wait: wait <= interval
    return Decision(False, Bucket(tat + total - wait, strikes), total)
