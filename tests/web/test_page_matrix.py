"""The authorization matrix of the pages: every route of the web front ends x every role.

The same idea as `tests/integration/test_authorization.py` for the API: the matrix is
checked against the app's own routes, so a page added without an entry here fails.
A role that is let in must not be turned away (no 403, no bounce to a sign-in page; a
404 or a refusal of the form's content is fine, the role got past the door); a role that
is not let in gets a 403 page in words, and an anonymous visitor is sent to sign in.
POSTs carry a valid CSRF token of the caller's own session and an empty form, so a
missing role check shows as a 422 or a 303 where a 403 was due.
"""

from __future__ import annotations

import httpx
import pytest

from hotpot.web.session import SESSION_COOKIE
from tests.support import World
from tests.web.conftest import Browser, csrf_of
from tests.web.page_matrix import PAGES, ROLES, page_routes, target


def test_every_page_route_has_an_entry(app_and_ctx: tuple[object, object]) -> None:
    routes = page_routes(app_and_ctx[0])
    assert routes, "no page routes found"
    missing = sorted(routes - PAGES.keys())
    stale = sorted(PAGES.keys() - routes)
    assert not missing, f"page routes without a matrix entry: {missing}"
    assert not stale, f"matrix entries for routes that do not exist: {stale}"


async def _browser(make: Browser, world: World, role: str) -> httpx.AsyncClient:
    browser = await make()
    if role != "anonymous":
        # The page session is the API's access token itself (docs/web.md).
        browser.cookies.set(SESSION_COOKIE, world.tokens[role])
    return browser


async def _csrf(browser: httpx.AsyncClient) -> str:
    """The caller's own CSRF token, from a page every caller may open."""
    for page in ("/", "/app/signin"):
        shown = await browser.get(page)
        if shown.status_code == 200 and 'name="csrf"' in shown.text:
            return csrf_of(shown.text)
    raise AssertionError("no page offered a CSRF token")


def _turned_away(response: httpx.Response) -> bool:
    location = response.headers.get("location", "")
    redirect = response.headers.get("hx-redirect", "")
    return (
        response.status_code in (401, 403)
        or (response.status_code in (302, 303) and "signin" in location)
        or "signin" in redirect
    )


def _in_words(response: httpx.Response, status: int) -> bool:
    return (
        response.status_code == status
        and response.headers["content-type"].startswith("text/html")
        and 'role="alert"' in response.text
        and "Traceback" not in response.text
    )


@pytest.mark.parametrize("role", ROLES)
async def test_each_role_gets_exactly_its_pages(
    role: str, browser_factory: Browser, world: World
) -> None:
    browser = await _browser(browser_factory, world, role)
    cache: dict[str, str] = {}
    token = await _csrf(browser)
    wrong = []
    for (method, template), entry in sorted(PAGES.items()):
        allowed = role in entry.roles
        if allowed and entry.refusals_only:
            continue
        path = await target(template, entry, world, cache)
        if method == "GET":
            response = await browser.get(path)
        else:
            response = await browser.post(path, data={"csrf": token})
        if allowed:
            if _turned_away(response) or response.status_code >= 500:
                wrong.append((method, template, "let in", response.status_code))
        elif role == "anonymous" and (
            method == "GET" or response.status_code == 303
        ):  # a posted form may also be sent to sign in (and back), as the vote is
            location = response.headers.get("location", "")
            if response.status_code != 303 or not location.startswith(f"{entry.signin}?next="):
                wrong.append((method, template, f"sent to {entry.signin}", response.status_code))
        else:
            # Most forms posted without a session cannot be carried through a redirect: 401.
            status = 404 if role in entry.hidden else 401 if role == "anonymous" else 403
            if not _in_words(response, status):
                wrong.append((method, template, f"{status} in words", response.status_code))
    assert not wrong, f"{role}: (method, route, expected, got) {wrong}"
