"""The demo seed, on an empty database of its own: it builds the network through the
services, and what it writes lets the README tour sign in and read the menu."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from hotpot.adapters.database import migrate
from hotpot.app import create_app
from hotpot.seed import demo_needed, seed_demo
from tests.conftest import make_settings
from tests.support import bearer, ok


@pytest.fixture
def empty_database(fresh_database: Callable[[], str]) -> str:
    url = fresh_database()
    migrate(url)
    return url


async def test_the_demo_seed_builds_a_network_one_can_sign_in_to(
    empty_database: str, redis_url: str, tmp_path: Path
) -> None:
    app = create_app(make_settings(empty_database, redis_url))
    ctx = app.state.context
    try:
        assert await demo_needed(ctx)
        creds = await seed_demo(ctx, tmp_path)
        assert not await demo_needed(ctx)
        assert json.loads((tmp_path / "demo-credentials.json").read_text()) == creds

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            for node_id in creds["nodes"].values():
                menu = ok(await http.get("/api/v1/menu", params={"node_id": node_id}))
                assert sorted(item["id"] for item in menu["items"]) == sorted(creds["dishes"])
                assert {item["portions"] for item in menu["items"]} == {50}
            for terminal in creds["terminals"].values():
                ok(await http.post("/api/v1/auth/terminal", json=terminal))
            franchisee = ok(await http.post("/api/v1/auth/login", json=creds["franchisee"]))[
                "access_token"
            ]
            terminals = ok(
                await http.get(
                    f"/api/v1/nodes/{creds['nodes']['FRANCHISE']}/terminals",
                    headers=bearer(franchisee),
                )
            )
            assert [t["whitelisted"] for t in terminals["items"]] == [True]
    finally:
        await ctx.cache.close()
        await ctx.db.dispose()
