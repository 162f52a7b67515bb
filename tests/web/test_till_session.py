"""A till stays signed in past one access token: its refresh token, rotated by the accounts
service like people's (reuse detection), ended when the terminal leaves the whitelist."""

from __future__ import annotations

from uuid import UUID

import httpx

from hotpot.context import AppContext
from hotpot.network import service as network
from tests.support import World
from tests.web.conftest import Browser, terminal_browser


def _expire_session(browser: httpx.AsyncClient) -> None:
    """The access token ran out (here: is no longer valid); the refresh cookie remains."""
    (domain,) = {c.domain for c in browser.cookies.jar if c.name == "hotpot_session"}
    browser.cookies.set("hotpot_session", "expired.access.token", domain=domain)


def _terminal_id(world: World) -> str:
    return list(world.terminal_secrets)[-1]


async def test_an_expired_till_session_renews_from_the_refresh_cookie(
    browser_factory: Browser, world: World
) -> None:
    till = await terminal_browser(browser_factory, world, world.node_a)
    refresh = till.cookies["hotpot_refresh"]
    _expire_session(till)
    page = await till.get("/app/till")
    assert page.status_code == 200, page.text
    assert "terminal_sale_id" in page.text
    renewed = till.cookies["hotpot_session"]
    assert renewed != "expired.access.token"
    assert till.cookies["hotpot_refresh"] != refresh
    # The renewed cookie is a terminal token the API's till routes take.
    stock = await till.put(
        f"/api/v1/nodes/{world.node_a}/availability/{await world.item()}",
        json={"portions": 5},
        headers={"Authorization": f"Bearer {renewed}"},
    )
    assert stock.status_code == 200, stock.text
    # The old refresh token, replayed, is reuse: the whole family ends, the till with it.
    replay = await till.post("/api/v1/auth/refresh", json={"refresh_token": refresh})
    assert replay.status_code == 401
    _expire_session(till)
    bounced = await till.get("/app/till")
    assert bounced.status_code == 303
    assert bounced.headers["location"].startswith("/app/till/signin")


async def test_a_revoked_terminals_refresh_is_refused(
    browser_factory: Browser, world: World, client: httpx.AsyncClient
) -> None:
    till = await terminal_browser(browser_factory, world, world.node_a)
    refresh = till.cookies["hotpot_refresh"]
    terminal = _terminal_id(world)
    off = await client.patch(
        f"/api/v1/terminals/{terminal}", json={"whitelisted": False}, headers=world.auth("owner")
    )
    assert off.status_code == 200
    _expire_session(till)
    bounced = await till.get("/app/till")
    assert bounced.status_code == 303
    assert bounced.headers["location"].startswith("/app/till/signin")
    assert "hotpot_refresh" not in till.cookies
    # Revoked at once, not only refused while off the whitelist: put back on it, the old
    # session stays ended (the till signs in again with its credential).
    on = await client.patch(
        f"/api/v1/terminals/{terminal}", json={"whitelisted": True}, headers=world.auth("owner")
    )
    assert on.status_code == 200
    again = await client.post("/api/v1/auth/refresh", json={"refresh_token": refresh})
    assert again.status_code == 401
    assert again.json()["code"] == "invalid_refresh_token"


async def test_a_terminal_off_the_whitelist_is_refused_by_the_api_refresh_in_words(
    world: World, client: httpx.AsyncClient, ctx: AppContext
) -> None:
    """Even where the revocation did not run (the network's switch called directly), the
    rotation checks the whitelist, and then ends every session of the terminal."""
    await world.terminal(world.node_a)
    terminal = _terminal_id(world)
    _node, secret = world.terminal_secrets[terminal]
    signed = await client.post(
        "/api/v1/auth/terminal", json={"terminal_id": terminal, "secret": secret}
    )
    refresh = signed.json()["refresh_token"]
    assert refresh
    await network.set_whitelisted(ctx, UUID(terminal), False)
    refused = await client.post("/api/v1/auth/refresh", json={"refresh_token": refresh})
    assert refused.status_code == 401
    assert refused.json()["code"] == "terminal_not_whitelisted"
    assert "not whitelisted" in refused.json()["detail"]
    await network.set_whitelisted(ctx, UUID(terminal), True)
    gone = await client.post("/api/v1/auth/refresh", json={"refresh_token": refresh})
    assert gone.status_code == 401
