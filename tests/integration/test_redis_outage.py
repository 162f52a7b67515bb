"""Redis stopped in the middle: the menu is still served and changes still land, no 5xx."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import httpx

from hotpot.adapters.embedded import EmbeddedRedis
from hotpot.app import create_app
from tests.conftest import make_settings
from tests.support import World


async def test_menu_survives_redis_going_away(database_url: str, world: World) -> None:
    folder = Path(tempfile.mkdtemp(prefix="hotpot-redis-outage-"))
    redis = EmbeddedRedis(folder)  # our own server: the shared one is never stopped
    settings = make_settings(database_url, redis.start(persist=False))
    app = create_app(settings)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as http:
            warm = await http.get("/api/v1/menu", params={"node_id": world.node_a})
            assert warm.status_code == 200
            redis.stop()

            cold = await http.get("/api/v1/menu", params={"node_id": world.node_a})
            assert cold.status_code == 200
            assert cold.json() == warm.json()
            # A write that must invalidate the cache still succeeds without Redis ...
            item = await world.item(portions=3)
            changed = await http.get("/api/v1/menu", params={"node_id": world.node_a})
            assert changed.status_code == 200
            assert item in {entry["id"] for entry in changed.json()["items"]}
            # ... and the rate limiter falls back to per-process counting.
            login = await http.post(
                "/api/v1/auth/login", json={"login": "a@hotpot-tests.org", "password": "x"}
            )
            assert login.status_code == 401
            metrics = (await http.get("/metrics")).text
            assert 'hotpot_dependency_up{dependency="redis"} 0.0' in metrics
    finally:
        redis.stop()
        await app.state.context.cache.close()
        await app.state.context.db.dispose()
        shutil.rmtree(folder, ignore_errors=True)


async def test_login_limits_hold_per_process_when_redis_stops(database_url: str) -> None:
    folder = Path(tempfile.mkdtemp(prefix="hotpot-redis-limits-"))
    redis = EmbeddedRedis(folder)
    settings = make_settings(
        database_url, redis.start(persist=False), rate_limit_login_per_minute=10
    )
    app = create_app(settings)
    now = [1_800_000_000.0]
    app.state.context.limiter.clock = lambda: now[0]
    body = {"login": "outage@hotpot-tests.org", "password": "wrong-password"}
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as http:
            shared = [
                (await http.post("/api/v1/auth/login", json=body)).status_code for _ in range(11)
            ]
            assert shared == [401] * 10 + [429]  # the bucket in Redis
            redis.stop()
            # The process keeps its own bucket, by the same rule: ten, then refused.
            local = [
                (await http.post("/api/v1/auth/login", json=body)).status_code for _ in range(11)
            ]
            assert local == [401] * 10 + [429]
            now[0] += 6.0  # one interval later, one more attempt, no window reset
            assert (await http.post("/api/v1/auth/login", json=body)).status_code == 401
            assert (await http.post("/api/v1/auth/login", json=body)).status_code == 429
    finally:
        redis.stop()
        await app.state.context.cache.close()
        await app.state.context.db.dispose()
        shutil.rmtree(folder, ignore_errors=True)
