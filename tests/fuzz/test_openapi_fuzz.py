"""schemathesis over the app's own OpenAPI document, all checks: no 5xx, no off-schema answer.

The app runs in a real uvicorn server on loopback (its own event loop in a thread), so
requests cross a real socket exactly as clients' do.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from hotpot.accounts import service as accounts
from hotpot.accounts.schemas import OfficeStaffIn
from hotpot.app import create_app
from tests.conftest import make_settings
from tests.support import PASSWORD, LiveServer, unique_email


@pytest.fixture(scope="module")
def live_server(database_url: str, redis_url: str) -> Iterator[LiveServer]:
    with LiveServer(make_settings(database_url, redis_url)) as server:
        yield server


@pytest.fixture(scope="module")
def owner_headers(live_server: LiveServer) -> dict[str, str]:
    email = unique_email("fuzz-owner")
    ctx = live_server.app.state.context

    async def create() -> None:
        # On a private engine: the server's pool belongs to the server's event loop.
        from hotpot.app import build_context

        private = build_context(live_server.settings)
        try:
            await accounts.create_staff(
                private, OfficeStaffIn(email=email, password=PASSWORD, role="owner")
            )
        finally:
            await private.db.dispose()
            await private.cache.close()

    assert ctx is not None
    asyncio.run(create())
    token = httpx.post(
        f"{live_server.url}/api/v1/auth/login", json={"login": email, "password": PASSWORD}
    ).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _spec() -> dict[str, object]:
    # The document is the app's own; building the app opens no connection.
    app = create_app(make_settings("postgresql://unused@127.0.0.1:9/unused", None))
    return app.openapi()


SCHEMA = schemathesis.openapi.from_dict(_spec())
OPERATIONS = [
    (path, method) for path, methods in SCHEMA.raw_schema["paths"].items() for method in methods
]


@pytest.mark.parametrize(
    ("path", "method"), OPERATIONS, ids=[f"{m.upper()} {p}" for p, m in OPERATIONS]
)
def test_api_conforms_to_its_schema(
    path: str, method: str, live_server: LiveServer, owner_headers: dict[str, str]
) -> None:
    operation = SCHEMA[path][method]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=25,
        deadline=None,
        derandomize=os.environ.get("HOTPOT_FUZZ_RANDOM") is None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=live_server.url, headers=owner_headers)

    check()
