"""Redis as a cache and a shared counter store, degrading to 'no cache' when it is down.

Every call has a short timeout; after a failure the cache stays off for a few seconds
(a simple circuit breaker) so a dead Redis costs one timeout, not one per request.

`read_through` also keeps a copy of a value in this process (the "near" copy), so a hot
read costs no Redis round trip. A near copy is trusted only while this process is
subscribed to the invalidation channel: every `delete` (from any process) publishes the
names it deleted there, and each process drops its copies of them. When the subscription
is down (Redis gone, connection lost) the near copies are dropped and reads go to Redis
(or, without it, to the producer) as before, until it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

import structlog
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from hotpot.telemetry.metrics import DEPENDENCY_UP

log = structlog.get_logger(__name__)

BREAKER_SECONDS = 5.0
# The invalidation subscription pings this often and is given up when the pong is late.
HEARTBEAT_SECONDS = 5.0
# Enough for one near copy per node menu; beyond it the copies start over.
NEAR_MAX_ENTRIES = 1024
_NAME_SEPARATOR = "\n"
CLOSE_SECONDS = 1.0


class Cache:
    def __init__(self, url: str | None, timeout: float = 0.25, namespace: str = "hotpot") -> None:
        # Every key is prefixed, so environments (or test runs) can share one Redis.
        self._prefix = f"{namespace}:"
        self._redis: Redis | None = (
            Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
            if url
            else None
        )
        self._url = url
        self._timeout = timeout
        self._open_until = 0.0
        # Keys whose deletion failed while Redis was down; deleted when it is back.
        self._pending_deletes: set[str] = set()
        self._scripts: dict[str, AsyncScript] = {}
        self._channel = f"{namespace}:invalidated"
        # name -> (value, monotonic expiry); trusted only while `_near_live`.
        self._near: dict[str, tuple[bytes, float]] = {}
        # Bumped on every invalidation: a value read before one is not kept after it.
        self._near_generation = 0
        self._near_live = False
        self._listener: asyncio.Task[None] | None = None
        self._listener_loop: asyncio.AbstractEventLoop | None = None

    @property
    def configured(self) -> bool:
        return self._redis is not None

    def _available(self) -> Redis | None:
        if self._redis is None or time.monotonic() < self._open_until:
            return None
        return self._redis

    def _trip(self, exc: Exception) -> None:
        self._open_until = time.monotonic() + BREAKER_SECONDS
        self._near.clear()
        DEPENDENCY_UP.labels("redis").set(0)
        log.warning("redis unavailable, continuing without it", error=type(exc).__name__)

    async def _flush_pending(self, redis: Redis) -> None:
        if self._pending_deletes:
            keys = list(self._pending_deletes)
            await self._delete_and_publish(redis, keys)
            self._pending_deletes.difference_update(keys)

    async def _delete_and_publish(self, redis: Redis, keys: list[str]) -> None:
        # One round trip; the delete lands before any process hears of it.
        names = _NAME_SEPARATOR.join(key.removeprefix(self._prefix) for key in keys)
        async with redis.pipeline(transaction=False) as pipe:
            pipe.delete(*keys)
            pipe.publish(self._channel, names)
            await pipe.execute()

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
        # This process's copies go at once: its next read must not wait for the message.
        self._forget(names)
        keys = [self._prefix + name for name in names]
        redis = self._available()
        if redis is None:
            self._pending_deletes.update(keys)
            return
        try:
            await self._delete_and_publish(redis, keys)
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

    async def read_through(
        self, name: str, ttl_seconds: int, produce: Callable[[], Awaitable[bytes]]
    ) -> bytes:
        """The value under `name`: this process's copy, else Redis's, else `produce()`'s.

        A produced value is stored in Redis for `ttl_seconds`; a near copy lives no longer
        than the Redis entry it came from.
        """
        near = self.peek(name)
        if near is not None:
            return near
        now = time.monotonic()
        generation = self._near_generation
        value, ttl_left = await self._get_with_ttl(name)
        if value is None:
            value = await produce()
            await self.set(name, value, ttl_seconds)
            ttl_left = float(ttl_seconds)
        if ttl_left > 0 and self._near_trusted() and generation == self._near_generation:
            if len(self._near) >= NEAR_MAX_ENTRIES:
                self._near.clear()
            self._near[name] = (value, now + ttl_left)
        return value

    def peek(self, name: str) -> bytes | None:
        """This process's copy under `name`, when one may be served; no I/O."""
        if not self._near_trusted():
            return None
        near = self._near.get(name)
        if near is None or near[1] <= time.monotonic():
            return None
        return near[0]

    async def _get_with_ttl(self, name: str) -> tuple[bytes | None, float]:
        redis = self._available()
        if redis is None:
            return None, 0.0
        try:
            await self._flush_pending(redis)
            async with redis.pipeline(transaction=False) as pipe:
                pipe.get(self._prefix + name)
                pipe.pttl(self._prefix + name)
                value, pttl = await pipe.execute()
        except (RedisError, OSError) as exc:
            self._trip(exc)
            return None, 0.0
        if not isinstance(value, bytes):
            return None, 0.0
        # PTTL is -1 without an expiry: keep the copy only until the next invalidation.
        return value, (int(pttl) / 1000 if int(pttl) >= 0 else float(BREAKER_SECONDS))

    def _near_trusted(self) -> bool:
        """Near copies may be served: the subscription is up, on this very event loop."""
        if self._redis is None:
            return False
        loop = asyncio.get_running_loop()
        if self._listener is None or self._listener.done() or self._listener_loop is not loop:
            self._near_live = False
            self._near.clear()
            self._listener_loop = loop
            self._listener = loop.create_task(self._listen(), name="cache-invalidations")
            return False
        return self._near_live

    def _forget(self, names: tuple[str, ...] | list[str]) -> None:
        self._near_generation += 1
        for name in names:
            self._near.pop(name, None)

    def _drop_near(self) -> None:
        self._near_live = False
        self._near_generation += 1
        self._near.clear()

    async def _listen(self) -> None:
        """Hold the invalidation subscription; reconnect after a failure, forever."""
        assert self._url is not None
        while True:
            # Its own connection without a read timeout: the channel is quiet most of the time.
            client = Redis.from_url(self._url, socket_connect_timeout=self._timeout)
            pubsub = client.pubsub()
            try:
                await pubsub.subscribe(self._channel)
                await self._consume(pubsub)
            except (RedisError, OSError, TimeoutError) as exc:
                log.warning("cache invalidations unavailable", error=type(exc).__name__)
            finally:
                self._drop_near()
                # Bounded: closing a connection to a Redis that is gone must not hang here.
                with contextlib.suppress(RedisError, OSError, TimeoutError):
                    await asyncio.wait_for(pubsub.aclose(), CLOSE_SECONDS)  # type: ignore[no-untyped-call]
                with contextlib.suppress(RedisError, OSError, TimeoutError):
                    await asyncio.wait_for(client.aclose(), CLOSE_SECONDS)
            await asyncio.sleep(BREAKER_SECONDS)

    async def _consume(self, pubsub: PubSub) -> None:
        ping_sent: float | None = None
        last_heard = time.monotonic()
        while True:
            message = await pubsub.get_message(timeout=HEARTBEAT_SECONDS)
            now = time.monotonic()
            if message is None:
                if ping_sent is not None and now - ping_sent > HEARTBEAT_SECONDS:
                    raise TimeoutError("no pong from Redis")
                if ping_sent is None and now - last_heard >= HEARTBEAT_SECONDS:
                    await pubsub.ping()
                    ping_sent = now
                continue
            last_heard = now
            kind = message.get("type")
            if kind == "subscribe":
                # Anything published before this moment was missed: start from nothing.
                self._drop_near()
                self._near_live = True
            elif kind == "message":
                data = message.get("data")
                names = data.decode() if isinstance(data, bytes) else str(data)
                self._forget(names.split(_NAME_SEPARATOR))
            elif kind == "pong":
                ping_sent = None

    async def close(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None and not listener.done():
            listener.cancel()
            if self._listener_loop is asyncio.get_running_loop():
                await asyncio.wait({listener}, timeout=2 * CLOSE_SECONDS)
        self._drop_near()
        if self._redis is not None:
            await self._redis.aclose()
