"""The voting journey in a real browser: the owner proposes a dish and opens its vote, two
customers (with SPOT from completed orders) vote, the vote closes on its own, the owner
finalizes, and a customer checks the proof that their vote was counted.

The module runs its own live server on its own fresh database (quorum needs a known SPOT
supply) with a short dish voting period (DISH_VOTING_SECONDS, a setting): the page's
status block, which polls while the vote is open, shows the close without a reload, and
the test waits for that, never for a fixed time.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from playwright.async_api import expect

from hotpot.accounts import service as accounts
from hotpot.accounts.schemas import OfficeStaffIn
from hotpot.adapters.database import migrate
from hotpot.app import create_app
from hotpot.bootstrap import close_context
from hotpot.config import Settings
from tests.browser.conftest import DESKTOP, PHONE, Person
from tests.browser.test_accessibility import violations
from tests.browser.test_journeys import sign_in
from tests.conftest import make_settings
from tests.support import PASSWORD, LiveServer, World, unique_email

pytestmark = pytest.mark.browser

MakePerson = Callable[..., Awaitable[Person]]
# Long enough for two customers to vote in a loaded machine's browser, short enough that
# the journey does not wait long for the close.
VOTING_SECONDS = 15


@pytest.fixture(scope="module")
def voting_settings(fresh_database: Callable[[], str], redis_url: str) -> Settings:
    url = fresh_database()
    migrate(url)
    return make_settings(url, redis_url, dish_voting_seconds=VOTING_SECONDS)


@pytest.fixture(scope="module")
def voting_live(voting_settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(voting_settings) as server:
        yield server


@pytest.fixture(scope="module")
async def voting_world(voting_live: LiveServer, voting_settings: Settings) -> AsyncIterator[World]:
    # Its own context on this loop for the owner account (the server's runs on its own).
    ctx = create_app(voting_settings).state.context
    async with httpx.AsyncClient(base_url=voting_live.url, timeout=30) as client:
        yield await World.create(client, ctx)
    await close_context(ctx)


async def at(person: MakePerson, live: LiveServer, name: str, **options: Any) -> Person:
    """Someone in a browser of their own, on this module's server."""
    someone = await person(name, **options)
    someone.base = live.url
    return someone


async def customer_with_spot(world: World, item: str, quantity: int) -> str:
    """A customer whose completed order earned SPOT before the vote opens: their email."""
    account, token = await world.customer()
    order = await world.order(token, world.node_a, item, quantity)
    await world.complete(order["id"])
    return str(account["email"])


async def vote(someone: Person, proposal_url: str, choice: str) -> None:
    await someone.go(proposal_url)
    await someone.page.get_by_label(choice, exact=True).check()
    await someone.page.get_by_role("button", name="Vote").click()
    await expect(someone.page.locator("[data-my-vote]")).to_have_attribute(
        "data-my-vote", choice.upper()
    )


async def test_owner_opens_a_vote_customers_vote_and_one_checks_the_proof(
    person: MakePerson, voting_live: LiveServer, voting_world: World
) -> None:
    world = voting_world
    item = await world.item(price=2450, name="Beef hot pot")
    alice_email = await customer_with_spot(world, item, 2)  # 49.00 GEL: 4.90 SPOT
    bob_email = await customer_with_spot(world, item, 1)  # 24.50 GEL: 2.45 SPOT
    owner_email = unique_email("owner")
    await accounts.create_staff(
        world.ctx, OfficeStaffIn(email=owner_email, password=PASSWORD, role="owner")
    )

    owner = await at(person, voting_live, "owner", viewport=DESKTOP)
    await sign_in(owner, owner_email)
    await owner.go("/app/owner/proposals")
    await owner.page.get_by_label("Dish name").fill("Mushroom hot pot")
    await owner.page.get_by_label("Description").fill("Porcini, oyster mushrooms, a dark broth")
    await owner.page.get_by_label("Price (GEL)").fill("22.50")
    await owner.page.get_by_label("Ingredients, one a line: name, grams, kcal").fill(
        "broth, 300, 120\nmushrooms, 150, 40"
    )
    await owner.shot("owner-proposals-desktop")
    await owner.page.get_by_role("button", name="Propose the dish").click()
    status = owner.page.locator("#proposal-live .state")
    await expect(status).to_have_attribute("data-status", "PROPOSED")
    proposal_url = owner.page.url.removeprefix(voting_live.url)
    assert re.fullmatch(r"/app/proposals/[0-9a-f-]{36}", proposal_url), proposal_url

    # The customers sign in first, so the vote's short window is spent voting.
    alice = await at(person, voting_live, "alice", viewport=PHONE)
    await sign_in(alice, alice_email)
    bob = await at(person, voting_live, "bob", viewport=DESKTOP)
    await sign_in(bob, bob_email)

    await owner.page.get_by_role("button", name="Open voting").click()
    await expect(status).to_have_attribute("data-status", "VOTING")
    await vote(alice, proposal_url, "For")
    await vote(bob, proposal_url, "Against")
    # Both votes show on the owner's open page without a reload (it polls while open).
    await expect(owner.page.locator("#proposal-live [data-for]")).to_have_text("4.90")
    await expect(owner.page.locator("#proposal-live [data-against]")).to_have_text("2.45")
    await alice.shot("proposal-voted-phone")
    await owner.shot("proposal-voting-desktop")

    # The vote closes on its own; the status block shows it without a reload.
    await expect(status).not_to_have_attribute(
        "data-status", "VOTING", timeout=(VOTING_SECONDS + 10) * 1000
    )
    # 4.90 for, 2.45 against (all the voting SPOT): quorum, and FOR above 51 %.
    await expect(status).to_have_attribute("data-status", "APPROVED")
    await owner.page.get_by_role("button", name="Finalize the result").click()
    await expect(owner.page.locator("[data-root]")).to_have_text(re.compile("^0x[0-9a-f]{64}$"))
    await owner.shot("proposal-finalized-desktop")

    # Alice finds the proposal from her navigation and checks her vote.
    await alice.go("/app/")
    await alice.page.get_by_role("link", name="Proposals").click()
    await alice.shot("proposals-phone")
    await alice.page.get_by_role("link", name=re.compile("Mushroom hot pot")).click()
    await alice.page.get_by_role("link", name="Check that your vote was counted").click()
    await expect(alice.page.locator("[data-proof]")).to_have_attribute("data-proof", "holds")
    # No relay runs against this server: the root is recorded, not yet on chain.
    await expect(alice.page.locator("[data-anchor]")).to_have_attribute("data-anchor", "pending")
    await expect(alice.page.get_by_text("Not yet anchored")).to_be_visible()
    await alice.shot("vote-proof-phone")
    bob_proof = await at(person, voting_live, "bob-proof", viewport=DESKTOP)
    await sign_in(bob_proof, bob_email)
    await bob_proof.go(proposal_url + "/my-vote")
    await expect(bob_proof.page.locator("[data-proof]")).to_have_attribute("data-proof", "holds")
    await bob_proof.shot("vote-proof-desktop")
    for someone in (owner, alice, bob, bob_proof):
        assert someone.problems == [], someone.problems

    # Accessibility: axe in every governance page, at both widths (its own contexts: axe
    # is injected inline, so only these bypass the CSP).
    found: list[dict[str, Any]] = []
    for viewport in (PHONE, DESKTOP):
        anonymous = await at(person, voting_live, "anonymous", viewport=viewport, bypass_csp=True)
        for path in ("/app/proposals", proposal_url):
            found += await violations(anonymous, path)
        checker = await at(person, voting_live, "checker", viewport=viewport, bypass_csp=True)
        await sign_in(checker, alice_email)
        for path in ("/app/proposals", proposal_url, proposal_url + "/my-vote"):
            found += await violations(checker, path)
        console = await at(person, voting_live, "console", viewport=viewport, bypass_csp=True)
        await sign_in(console, owner_email)
        for path in ("/app/owner/proposals", proposal_url):
            found += await violations(console, path)
    assert found == []
