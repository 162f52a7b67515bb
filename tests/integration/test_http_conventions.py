"""Problem errors, body limit, unknown fields, rate limits, ETags, metrics, request ids."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client import REGISTRY

from hotpot.app import create_app
from hotpot.config import Settings
from tests.conftest import make_settings
from tests.support import World, ok


async def test_unknown_route_is_a_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "not_found" and body["status"] == 404 and body["title"]


async def test_unknown_fields_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": "x@hotpot-tests.org", "password": "long-enough-pw", "is_admin": True},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert any(err["loc"][-1] == "is_admin" for err in body["errors"])


async def test_malformed_json_is_a_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/login", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_json"


async def test_oversized_body_is_a_413(client: httpx.AsyncClient, settings: Settings) -> None:
    big = {"login": "a" * 100, "password": "b" * (settings.max_body_bytes + 10)}
    response = await client.post("/api/v1/auth/login", json=big)
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"


async def test_oversized_chunked_body_is_a_413(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(settings.max_body_bytes // 1024 + 2):
            yield b"x" * 1024

    response = await client.post(
        "/api/v1/auth/login", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


async def test_menu_answers_if_none_match_with_304(client: httpx.AsyncClient, world: World) -> None:
    await world.item()
    first = await client.get("/api/v1/menu")
    etag = first.headers["etag"]
    again = await client.get("/api/v1/menu", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    # A change to the menu changes the representation and its ETag.
    await world.item()
    changed = await client.get("/api/v1/menu", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


async def test_unknown_node_menu_is_a_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/menu", params={"node_id": str(uuid.uuid4())})
    assert response.status_code == 404 and response.json()["code"] == "node_not_found"


async def test_menu_shows_sold_out_at_a_node(client: httpx.AsyncClient, world: World) -> None:
    item = await world.item(portions=0)
    menu = ok(await client.get("/api/v1/menu", params={"node_id": world.node_a}))
    entry = next(e for e in menu["items"] if e["id"] == item)
    assert entry["portions"] == 0 and entry["sold_out"] is True
    assert entry["total_kcal"] == sum(g["kcal"] for g in entry["ingredients"])


async def test_request_id_is_taken_or_set(client: httpx.AsyncClient) -> None:
    given = await client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    generated = await client.get("/health", headers={"X-Request-ID": "bad id with spaces"})
    assert generated.headers["x-request-id"] not in ("", "bad id with spaces")


def _sample(name: str, labels: dict[str, str]) -> float:
    value = REGISTRY.get_sample_value(name, labels)
    return value or 0.0


async def test_metrics_use_the_route_template(client: httpx.AsyncClient, world: World) -> None:
    labels = {"method": "GET", "path": "/api/v1/orders/{order_id}", "status": "404"}
    before = _sample("http_requests_total", labels)
    await client.get(f"/api/v1/orders/{uuid.uuid4()}", headers=world.auth("owner"))
    assert _sample("http_requests_total", labels) == before + 1
    text = (await client.get("/metrics")).text
    assert 'path="/api/v1/orders/{order_id}"' in text
    assert "http_request_duration_seconds_bucket" in text
    unmatched = {"method": "GET", "path": "<unmatched>", "status": "404"}
    before_unmatched = _sample("http_requests_total", unmatched)
    await client.get(f"/nowhere/{uuid.uuid4()}")
    assert _sample("http_requests_total", unmatched) == before_unmatched + 1


async def test_ready_and_health(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    assert (await client.get("/ready")).status_code == 200


async def test_ready_fails_when_the_primary_is_unreachable(redis_url: str) -> None:
    # A port nobody listens on: the pool cannot connect, /ready says 503, /health stays 200.
    settings = make_settings("postgresql://nobody@127.0.0.1:9/none", redis_url)
    app = create_app(settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        assert (await http.get("/ready")).status_code == 503
        assert (await http.get("/health")).status_code == 200
    await app.state.context.db.dispose()


@pytest.fixture
async def strict_client(database_url: str, redis_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(database_url, redis_url, rate_limit_login_per_minute=3)
    app = create_app(settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        yield http
    await app.state.context.cache.close()
    await app.state.context.db.dispose()


async def test_login_is_rate_limited_with_retry_after(strict_client: httpx.AsyncClient) -> None:
    body = {"login": "nobody@hotpot-tests.org", "password": "wrong-password"}
    codes = [
        (await strict_client.post("/api/v1/auth/login", json=body)).status_code for _ in range(3)
    ]
    assert codes == [401, 401, 401]
    limited = await strict_client.post("/api/v1/auth/login", json=body)
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.json()["code"] == "rate_limited"


async def test_rate_limit_works_per_process_without_redis(database_url: str) -> None:
    settings = make_settings(database_url, None, rate_limit_login_per_minute=2)
    app = create_app(settings)
    body = {"login": "nobody@hotpot-tests.org", "password": "wrong-password"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        codes = [(await http.post("/api/v1/auth/login", json=body)).status_code for _ in range(3)]
    await app.state.context.db.dispose()
    assert codes == [401, 401, 429]


async def test_openapi_and_docs_are_served(client: httpx.AsyncClient) -> None:
    spec = ok(await client.get("/openapi.json"))
    assert "/api/v1/orders" in spec["paths"]
    assert (await client.get("/docs")).status_code == 200
