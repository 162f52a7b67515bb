"""Every page of the pages' matrix, in Chromium, as a role it lets in, at 360 px and
1280 px: a screenshot of each, and axe-core (tools/browser-tools.sh) finds no serious
violation in any."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from hotpot.web.session import SESSION_COOKIE
from tests.browser.conftest import AXE, DESKTOP, PHONE, Person
from tests.support import World
from tests.web.page_matrix import PAGES, shot_name, shown_as, target

pytestmark = pytest.mark.browser

MakePerson = Callable[..., Awaitable[Person]]
SERIOUS = ("serious", "critical")


async def violations(someone: Person, path: str) -> list[dict[str, Any]]:
    await someone.go(path)
    await someone.page.add_script_tag(path=str(AXE))
    found = await someone.page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        {"page": path, "rule": v["id"], "impact": v["impact"], "nodes": len(v["nodes"])}
        for v in found
        if v["impact"] in SERIOUS
    ]


async def test_every_page_is_shown_and_has_no_serious_accessibility_violation(
    person: MakePerson, live_world: World
) -> None:
    assert AXE.exists(), "run tools/browser-tools.sh (./dev test-browser does)"
    world = live_world
    # Something to show: a dish on node A's menu, an order of the customer's.
    await world.item(price=990, name="Mushroom hot pot")
    cache: dict[str, str] = {}
    pages = sorted(
        (template, entry)
        for (method, template), entry in PAGES.items()
        if method == "GET" and entry.whole_page
    )
    found: list[dict[str, Any]] = []
    shown = 0
    for viewport, width in ((PHONE, "phone"), (DESKTOP, "desktop")):
        people: dict[str, Person] = {}
        for template, entry in pages:
            role = shown_as(entry)
            if role not in people:
                # bypass_csp only here, where axe-core is injected inline.
                people[role] = someone = await person(role, viewport, bypass_csp=True)
                if role != "anonymous":
                    await someone.page.context.add_cookies(
                        [{"name": SESSION_COOKIE, "value": world.tokens[role], "url": someone.base}]
                    )
            someone = people[role]
            path = await target(template, entry, world, cache)
            found += await violations(someone, path)
            assert "/signin" not in someone.page.url or "signin" in template, (role, path)
            await someone.shot(f"page-{shot_name(template)}-{width}")
            shown += 1
    assert shown == 2 * len(pages)
    assert found == []
