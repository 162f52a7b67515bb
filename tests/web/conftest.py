"""A browser-like client per test (its own cookie jar) against the session's app."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from hotpot.context import AppContext
from tests.support import PASSWORD, World

CSRF = re.compile(r'name="csrf" value="([^"]+)"')

Browser = Callable[[], Awaitable[httpx.AsyncClient]]


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


async def submit(
    browser: httpx.AsyncClient, page: str, action: str, fields: dict[str, Any]
) -> httpx.Response:
    """GET `page` (for its CSRF token), then POST the form to `action`, as a browser does."""
    shown = await browser.get(page)
    assert shown.status_code == 200, shown.text
    return await browser.post(action, data={"csrf": csrf_of(shown.text), **fields})


@asynccontextmanager
async def browsers(app: object) -> AsyncIterator[Browser]:
    """A factory of clients against `app`, each with its own cookie jar, closed at the end."""
    opened: list[httpx.AsyncClient] = []

    async def make() -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        opened.append(client)
        return client

    yield make
    for client in opened:
        await client.aclose()


@pytest.fixture
async def browser_factory(
    app_and_ctx: tuple[object, AppContext],
) -> AsyncIterator[Browser]:
    async with browsers(app_and_ctx[0]) as make:
        yield make


async def signed_in(make: Browser, login: str, password: str = PASSWORD) -> httpx.AsyncClient:
    browser = await make()
    response = await submit(
        browser, "/app/signin", "/app/signin", {"login": login, "password": password}
    )
    assert response.status_code == 303, response.text
    return browser


async def terminal_browser(make: Browser, world: World, node_id: str) -> httpx.AsyncClient:
    await world.terminal(node_id)
    terminal_id, (_, secret) = next(
        (tid, value) for tid, value in reversed(world.terminal_secrets.items())
    )
    browser = await make()
    response = await submit(
        browser,
        "/app/till/signin",
        "/app/till/signin",
        {"terminal_id": terminal_id, "secret": secret},
    )
    assert response.status_code == 303, response.text
    return browser
