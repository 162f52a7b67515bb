"""Logs: ECS JSON with the request id on every line and no personal data; profiling access."""

from __future__ import annotations

import json
import logging
import tracemalloc
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import structlog.testing
from sqlalchemy.engine import make_url

from hotpot.app import check_dependencies, create_app
from hotpot.bootstrap import build_context, close_context
from hotpot.telemetry.logging import configure_logging
from tests.conftest import make_settings
from tests.support import PASSWORD, World, bearer, ok, unique_email


async def test_a_full_flow_logs_ecs_json_with_request_ids_and_no_secrets(
    client: httpx.AsyncClient, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("DEBUG")
    try:
        capsys.readouterr()
        email = unique_email("logcheck")
        phone = "+995 599 87 65 43"
        name = "Tamar Secretname"
        ok(
            await client.post(
                "/api/v1/auth/register",
                json={"email": email, "phone": phone, "password": PASSWORD, "name": name},
            ),
            201,
        )
        tokens = ok(
            await client.post("/api/v1/auth/login", json={"login": email, "password": PASSWORD})
        )
        item = await world.item(portions=3)
        order = await world.order(tokens["access_token"], world.node_a, item)
        await client.get(
            f"/api/v1/orders/{order['id']}",
            headers={**bearer(tokens["access_token"]), "X-Request-ID": "trace-me-123"},
        )
        await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        await client.post("/api/v1/auth/login", json={"login": email, "password": "wrong-password"})
        output = capsys.readouterr().out
    finally:
        configure_logging("INFO")
        logging.getLogger().setLevel(logging.WARNING)

    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) >= 8
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    for record in records:
        assert "@timestamp" in record and "log.level" in record and "ecs.version" in record
    requests = [r for r in records if r.get("message") == "request"]
    assert all(r["http"]["request"]["id"] for r in requests)
    traced = [r for r in requests if r["http"]["request"]["id"] == "trace-me-123"]
    assert traced and traced[0]["http"]["route"] == "/api/v1/orders/{order_id}"
    for secret in (
        email,
        "995599876543",
        "Secretname",
        PASSWORD,
        tokens["access_token"],
        tokens["refresh_token"],
        "wrong-password",
    ):
        assert secret not in output, f"{secret!r} leaked into the logs"


@pytest.fixture
async def profiling_client(database_url: str, redis_url: str) -> AsyncIterator[httpx.AsyncClient]:
    was_tracing = tracemalloc.is_tracing()
    app = create_app(make_settings(database_url, redis_url, hotpot_profiling_enabled=True))
    yield httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
    await app.state.context.db.dispose()
    if not was_tracing:
        # Mounting profiling starts tracemalloc, which slows every later allocation in
        # this process (it made the rest of the suite 2-3 times slower).
        tracemalloc.stop()


async def test_profiling_is_owner_only(profiling_client: httpx.AsyncClient, world: World) -> None:
    async with profiling_client as http:
        assert (await http.get("/debug/tasks")).status_code == 401
        assert (await http.get("/debug/tasks", headers=world.auth("chef"))).status_code == 403
        owner = await http.get("/debug/tasks", headers=world.auth("owner"))
        assert owner.status_code == 200
        heap = await http.get("/debug/heap", headers=world.auth("owner"))
        assert heap.status_code == 200


async def test_profiling_is_off_by_default(client: httpx.AsyncClient, world: World) -> None:
    assert (await client.get("/debug/tasks", headers=world.auth("owner"))).status_code == 404


async def test_reads_fall_back_to_the_primary_when_the_replica_is_down(
    database_url: str, world: World
) -> None:
    settings = make_settings(
        database_url, None, database_replica_url="postgresql://nobody@127.0.0.1:9/none"
    )
    app = create_app(settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        nodes = await http.get("/api/v1/nodes")
        assert nodes.status_code == 200 and nodes.json()["items"]
        metrics = (await http.get("/metrics")).text
        assert 'hotpot_dependency_up{dependency="replica"} 0.0' in metrics
    await app.state.context.db.dispose()


async def test_reads_use_the_replica_when_it_answers(database_url: str, world: World) -> None:
    # The primary's URL stands in for a replica: reads must come through the replica pool.
    settings = make_settings(database_url, None, database_replica_url=database_url)
    app = create_app(settings)
    ctx = app.state.context
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        assert (await http.get(f"/api/v1/menu/items/{uuid.uuid4()}")).status_code == 404
    assert ctx.db.replica is not None
    assert ctx.db.replica.pool.checkedin() >= 1  # the read opened a replica connection
    await ctx.db.dispose()


async def test_a_failing_dependency_gauge_is_logged_with_its_type(
    database_url: str, redis_url: str
) -> None:
    # A database that does not exist: the gauges' queries fail for real.
    missing = make_url(database_url).set(database="hotpot_no_such_database")
    ctx = build_context(make_settings(missing.render_as_string(hide_password=False), redis_url))
    try:
        with structlog.testing.capture_logs() as logs:
            failed = await check_dependencies(ctx)
    finally:
        await close_context(ctx)
    assert "gauges" in failed
    gauge_logs = [entry for entry in logs if entry.get("check") == "gauges"]
    assert len(gauge_logs) == 1
    assert gauge_logs[0]["event"] == "dependency check failed"
    assert gauge_logs[0]["log_level"] == "warning"
    assert gauge_logs[0]["error_type"] not in ("", "Exception")
    # The cache answered: one failing check does not stop the others.
    assert "cache" not in failed
