"""axe-core (tools/browser-tools.sh) in every page of the journeys: no serious violation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.browser.conftest import AXE, DESKTOP, PHONE, Person
from tests.browser.test_journeys import sign_in, sign_up
from tests.browser.test_owner_console import console_pages
from tests.support import World

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


async def test_pages_have_no_serious_accessibility_violation(
    person: MakePerson, live_world: World
) -> None:
    assert AXE.exists(), "run tools/browser-tools.sh (./dev test-browser does)"
    world = live_world
    item = await world.item(price=990, name="Mushroom hot pot")
    _, token = await world.customer()
    await world.order(token, world.node_a, item)
    chef_account = await world.staff("chef", world.node_a)
    owner_account = await world.staff("owner")
    found: list[dict[str, Any]] = []
    for viewport in (PHONE, DESKTOP):
        anonymous = await person("anonymous", viewport, bypass_csp=True)
        for path in (
            "/",
            "/app/",
            "/app/signin",
            "/app/signup",
            "/app/till/signin",
            f"/app/nodes/{world.node_a}/menu",
        ):
            found += await violations(anonymous, path)
        customer = await person("customer", viewport, bypass_csp=True)
        await sign_up(customer)
        for path in ("/app/orders", "/app/claim", "/app/wallet"):
            found += await violations(customer, path)
        chef = await person("chef", viewport, bypass_csp=True)
        await sign_in(chef, chef_account["email"])
        found += await violations(chef, f"/app/kitchen?node={world.node_a}")
        owner = await person("owner", viewport, bypass_csp=True)
        await sign_in(owner, owner_account["email"])
        for path in console_pages(world, item).values():
            found += await violations(owner, path)
    assert found == []
