"""Redis as a cache and a shared counter store, degrading to 'no cache' when it is down.

Every call has a short timeout; after a failure the cache stays off for a few seconds
(a simple circuit breaker) so a dead Redis costs one timeout, not one per request.
"""

from __future__ import annotations

import time

import structlog
from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from hotpot.telemetry.metrics import DEPENDENCY_UP

log = structlog.get_logger(__name__)

BREAKER_SECONDS = 5.0


class Cache:
    def __init__(self, url: str | None, timeout: float = 0.25, namespace: str = "hotpot") -> None:
        # Every key is prefixed, so environments (or test runs) can share one Redis.
        self._prefix = f"{namespace}:"
        self._redis: Redis | None = (
            Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
            if url
            else None
        )
        self._open_until = 0.0
        # Keys whose deletion failed while Redis was down; deleted when it is back.
        self._pending_deletes: set[str] = set()
        self._scripts: dict[str, AsyncScript] = {}

    @property
    def configured(self) -> bool:
        return self._redis is not None

    def _available(self) -> Redis | None:
        if self._redis is None or time.monotonic() < self._open_until:
            return None
        return self._redis

    def _trip(self, exc: Exception) -> None:
        self._open_until = time.monotonic() + BREAKER_SECONDS
        DEPENDENCY_UP.labels("redis").set(0)
        log.warning("redis unavailable, continuing without it", error=type(exc).__name__)

    async def _flush_pending(self, redis: Redis) -> None:
        if self._pending_deletes:
            keys = list(self._pending_deletes)
            await redis.delete(*keys)
            self._pending_deletes.difference_update(keys)

    async def get(self, key: str) -> bytes | None:
        redis = self._available()
        if redis is None:
            return None
        try:
            await self._flush_pending(redis)
            value = await redis.get(self._prefix + key)
        except (RedisError, OSError) as exc:
            self._trip(exc)
            return None
        return value if isinstance(value, bytes) else None

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        redis = self._available()
        if redis is None:
            return
        try:
            await redis.set(self._prefix + key, value, ex=ttl_seconds)
        except (RedisError, OSError) as exc:
            self._trip(exc)

    async def delete(self, *names: str) -> None:
        keys = [self._prefix + name for name in names]
        redis = self._available()
        if redis is None:
            self._pending_deletes.update(keys)
            return
        try:
            await redis.delete(*keys)
        except (RedisError, OSError) as exc:
            self._pending_deletes.update(keys)
            self._trip(exc)

    async def run_script(
        self, script: str, keys: list[str], args: list[str | int | float]
    ) -> object | None:
        """Run a Lua script atomically (EVALSHA, loaded on first use); None without Redis."""
        redis = self._available()
        if redis is None:
            return None
        try:
            # A registered script runs by EVALSHA and loads itself again on NOSCRIPT.
            if script not in self._scripts:
                self._scripts[script] = redis.register_script(script)
            result: object = await self._scripts[script](
                keys=[self._prefix + key for key in keys], args=args
            )
        except (RedisError, OSError) as exc:
            self._trip(exc)
            return None
        return result

    async def ping(self) -> bool:
        if self._redis is None:
            return False
        try:
            ok = bool(await self._redis.ping())
        except (RedisError, OSError):
            DEPENDENCY_UP.labels("redis").set(0)
            return False
        DEPENDENCY_UP.labels("redis").set(1)
        if ok and self._pending_deletes:
            try:
                await self._flush_pending(self._redis)
            except (RedisError, OSError):
                return False
        return ok

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
