"""The governance pages against the real app: proposals, voting, the proof of one's vote,
the owner's actions, CSRF and who may do what.

The module runs its own app on its own fresh database with the governance API tests'
fake clock (`get_clock` overridden: windows and the timelock pass without sleeping), so
quorum has a known SPOT supply, as in tests/integration/test_governance_api.py.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest

from hotpot.accounts import service as accounts
from hotpot.accounts.schemas import OfficeStaffIn
from hotpot.adapters.database import migrate
from hotpot.governance import repository as governance_repo
from hotpot.governance.proposals import rules_of
from tests.integration.test_governance_api import BASE, Gov, gov_app
from tests.support import PASSWORD, ok, unique_email
from tests.web.conftest import Browser, browsers, csrf_of, signed_in, submit
from tests.web.test_pages import assert_no_inline_code

PROPOSAL_LINK = re.compile(r"/app/proposals/([0-9a-f-]{36})")


@pytest.fixture(scope="module")
def pages_database(fresh_database: Callable[[], str]) -> str:
    url = fresh_database()
    migrate(url)
    return url


@pytest.fixture(scope="module")
async def gov(pages_database: str, redis_url: str) -> AsyncIterator[Gov]:
    """The governance API tests' app (fake clock) on this module's own database."""
    async with gov_app(pages_database, redis_url) as running:
        yield running


@pytest.fixture(autouse=True)
def _reset_clock(gov: Gov) -> Iterator[None]:
    gov.clock.now = datetime.now(UTC)
    yield


@pytest.fixture
async def make(gov: Gov) -> AsyncIterator[Browser]:
    async with browsers(gov.app) as new:
        yield new


async def owner_browser(make: Browser, gov: Gov) -> httpx.AsyncClient:
    email = unique_email("owner")
    await accounts.create_staff(
        gov.ctx, OfficeStaffIn(email=email, password=PASSWORD, role="owner")
    )
    return await signed_in(make, email)


async def voter(make: Browser, gov: Gov, spot_units: int) -> tuple[httpx.AsyncClient, str]:
    """A signed-in customer holding `spot_units` SPOT: (browser, account id)."""
    account, _ = await gov.world.customer()
    if spot_units:
        await gov.give(account["id"], spot_units)
    return await signed_in(make, account["email"]), str(account["id"])


async def propose_dish(owner: httpx.AsyncClient, name: str = "Mushroom hot pot") -> str:
    created = await submit(
        owner,
        "/app/owner/proposals",
        "/app/owner/proposals",
        {
            "name": name,
            "description": "A dish for the cold months",
            "price": "24,5",
            "ingredients": "broth, 300, 120\nmushrooms, 150, 40",
        },
    )
    assert created.status_code == 303, created.text
    found = PROPOSAL_LINK.fullmatch(created.headers["location"])
    assert found, created.headers["location"]
    return found.group(1)


async def press(
    browser: httpx.AsyncClient, proposal: str, action: str, fields: dict[str, Any] | None = None
) -> httpx.Response:
    """Send one of the proposal page's forms, as a browser does (with the page's token)."""
    return await submit(browser, f"/app/proposals/{proposal}", action, fields or {})


async def test_open_vote_finalize_and_the_proof_of_ones_own_vote(make: Browser, gov: Gov) -> None:
    owner = await owner_browser(make, gov)
    proposal = await propose_dish(owner)
    shown = await owner.get(f"/app/proposals/{proposal}")
    assert shown.status_code == 200
    assert 'data-status="PROPOSED"' in shown.text
    # The dish is a menu item in PROPOSED, priced from the GEL typed (integer tetri).
    item = (await gov.get(proposal))["menu_item_id"]
    dish = ok(await gov.client.get(f"/api/v1/menu/items/{item}", headers=gov.owner()))
    assert (dish["status"], dish["price_tetri"], dish["total_kcal"]) == ("PROPOSED", 2450, 160)
    assert f'action="/app/owner/proposals/{proposal}/open"' in shown.text
    alice, alice_id = await voter(make, gov, 600)
    bob, _ = await voter(make, gov, 200)
    before = await alice.get(f"/app/proposals/{proposal}")
    assert "Voting has not opened yet." in before.text
    assert "/open" not in before.text  # owner actions only for the owner

    opened = await press(owner, proposal, f"/app/owner/proposals/{proposal}/open")
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/app/proposals/{proposal}"
    page = await alice.get(f"/app/proposals/{proposal}")
    assert 'data-status="VOTING"' in page.text
    # While the vote is open the status and tally poll; the fragment stops at the close.
    assert f'hx-get="/app/proposals/{proposal}/live"' in page.text
    assert 'name="choice" value="FOR"' in page.text
    assert 'value="ABSTAIN"' not in page.text  # no abstaining on a dish
    listing = await alice.get("/app/proposals")
    assert f'data-proposal="{proposal}"' in listing.text.split("data-recent")[0]

    voted = await press(alice, proposal, f"/app/proposals/{proposal}/vote", {"choice": "FOR"})
    assert voted.status_code == 303
    after = await alice.get(f"/app/proposals/{proposal}")
    assert 'data-my-vote="FOR"' in after.text
    assert "You voted “For” with 6.00 SPOT." in after.text
    assert 'action="/app/proposals/' not in after.text  # no second vote form
    # A second vote (a resend of the same form) is refused in words; nothing changes.
    again = await alice.post(
        f"/app/proposals/{proposal}/vote", data={"csrf": csrf_of(after.text), "choice": "AGAINST"}
    )
    assert again.status_code == 409
    assert "this wallet has already voted" in again.text
    against = await press(bob, proposal, f"/app/proposals/{proposal}/vote", {"choice": "AGAINST"})
    assert against.status_code == 303, against.text
    tally = (await gov.get(proposal))["tally"]
    assert (tally["for_units"], tally["against_units"], tally["vote_count"]) == (600, 200, 2)
    live = await bob.get(f"/app/proposals/{proposal}/live")
    assert "data-for>6.00<" in live.text and "data-against>2.00<" in live.text
    assert "<html" not in live.text and "hx-trigger" in live.text

    early = await press(owner, proposal, f"/app/owner/proposals/{proposal}/finalize")
    assert early.status_code == 409
    assert "voting on this proposal is still open" in early.text
    no_proof_yet = await alice.get(f"/app/proposals/{proposal}/my-vote")
    assert no_proof_yet.status_code == 409
    assert "the proposal has no votes root yet" in no_proof_yet.text

    gov.clock.advance(rules_of(gov.ctx).dish_voting_period + timedelta(seconds=1))
    finalized = await press(owner, proposal, f"/app/owner/proposals/{proposal}/finalize")
    assert finalized.status_code == 303
    result = await alice.get(f"/app/proposals/{proposal}")
    assert 'data-status="APPROVED"' in result.text
    assert "hx-trigger" not in (await alice.get(f"/app/proposals/{proposal}/live")).text
    assert 'data-outcome="PASSED"' in result.text
    root = (await gov.get(proposal))["votes_root"]
    assert f"data-root>{root}<" in result.text

    proof_page = await alice.get(f"/app/proposals/{proposal}/my-vote")
    assert proof_page.status_code == 200, proof_page.text
    assert 'data-proof="holds"' in proof_page.text
    assert 'data-anchor="pending"' in proof_page.text and "Not yet anchored" in proof_page.text
    # The page shows the API's proof of this vote.
    api_proof = ok(await gov.client.get(f"{BASE}/proposals/{proposal}/votes/{alice_id}/proof"))
    assert api_proof["leaf"] in proof_page.text and api_proof["votes_root"] == root
    for node in api_proof["proof"]:
        assert node in proof_page.text
    # Once the relay records the anchor, the page says the proof is verified.
    tx = "0x" + "ab" * 32
    async with gov.ctx.db.transaction() as conn:
        assert await governance_repo.mark_anchored(conn, UUID(proposal), tx)
    anchored = await alice.get(f"/app/proposals/{proposal}/my-vote")
    assert 'data-anchor="anchored"' in anchored.text and "Verified" in anchored.text
    assert tx in anchored.text

    for browser, path in (
        (alice, "/app/proposals"),
        (alice, f"/app/proposals/{proposal}"),
        (alice, f"/app/proposals/{proposal}/my-vote"),
        (alice, f"/app/proposals/{proposal}/live"),
        (owner, f"/app/proposals/{proposal}"),
        (owner, "/app/owner/proposals"),
        (await make(), f"/app/proposals/{proposal}"),
    ):
        response = await browser.get(path)
        assert response.status_code == 200, path
        assert_no_inline_code(response.text)


async def test_execute_waits_for_the_timelock_and_says_so(make: Browser, gov: Gov) -> None:
    _, proposer = await gov.holder(1_000)
    created = ok(await gov.network(proposer, voting_hours=24, title="Open a node in Kutaisi"), 201)
    proposal = created["id"]
    alice, _ = await voter(make, gov, 0)  # no SPOT at the snapshot: refused in words
    refused = await press(alice, proposal, f"/app/proposals/{proposal}/vote", {"choice": "FOR"})
    assert refused.status_code == 403
    assert "voting needs 100 SPOT units at the snapshot" in refused.text
    owner = await owner_browser(make, gov)
    # The proposer votes through the API (they hold the weight).
    ok(await gov.vote(proposal, proposer, "FOR"), 201)
    page = await owner.get(f"/app/proposals/{proposal}")
    assert 'name="choice" value="ABSTAIN"' not in page.text  # the owner has no vote form
    assert f'action="/app/owner/proposals/{proposal}/execute"' in page.text

    gov.clock.advance(timedelta(hours=24, seconds=1))
    queued = await owner.get(f"/app/proposals/{proposal}")
    assert 'data-status="QUEUED"' in queued.text
    early = await press(owner, proposal, f"/app/owner/proposals/{proposal}/execute")
    assert early.status_code == 409
    assert "cannot execute: the timelock has not passed yet" in early.text
    assert (await gov.get(proposal))["executed_at"] is None

    gov.clock.advance(rules_of(gov.ctx).timelock)
    done = await press(owner, proposal, f"/app/owner/proposals/{proposal}/execute")
    assert done.status_code == 303
    executed = await owner.get(f"/app/proposals/{proposal}")
    assert 'data-status="EXECUTED"' in executed.text
    assert f'action="/app/owner/proposals/{proposal}/execute"' not in executed.text


async def test_the_owners_actions_are_refused_to_everyone_else(make: Browser, gov: Gov) -> None:
    owner = await owner_browser(make, gov)
    proposal = await propose_dish(owner)
    customer, _ = await voter(make, gov, 500)
    chef = await signed_in(make, (await gov.world.staff("chef", gov.world.node_a))["email"])
    for browser in (customer, chef):
        page = await browser.get(f"/app/proposals/{proposal}")
        assert "/app/owner/proposals/" not in page.text
        token = csrf_of(page.text)
        for action in ("open", "finalize", "execute"):
            refused = await browser.post(
                f"/app/owner/proposals/{proposal}/{action}", data={"csrf": token}
            )
            assert refused.status_code == 403, action
            assert "this action needs one of the roles: owner" in refused.text
        console = await browser.get("/app/owner/proposals")
        assert console.status_code == 403
        made = await browser.post(
            "/app/owner/proposals",
            data={"csrf": token, "name": "Sneaky dish", "price": "1", "ingredients": ""},
        )
        assert made.status_code == 403
    assert (await gov.get(proposal))["status"] == "PROPOSED"
    names = [p["title"] for p in ok(await gov.client.get(f"{BASE}/proposals"))["items"]]
    assert "Sneaky dish" not in names
    # A chef sees the page but gets no vote form: only customers vote.
    await press(owner, proposal, f"/app/owner/proposals/{proposal}/open")
    chef_page = await chef.get(f"/app/proposals/{proposal}")
    assert "Only customers vote" in chef_page.text and 'name="choice"' not in chef_page.text


async def test_signed_out_voters_are_sent_to_sign_in_and_nothing_is_counted(
    make: Browser, gov: Gov
) -> None:
    owner = await owner_browser(make, gov)
    proposal = await propose_dish(owner)
    await press(owner, proposal, f"/app/owner/proposals/{proposal}/open")
    anonymous = await make()
    page = await anonymous.get(f"/app/proposals/{proposal}")
    assert page.status_code == 200 and "Sign in to vote" in page.text
    assert 'name="choice"' not in page.text
    token = csrf_of((await anonymous.get("/app/signin")).text)
    for fields in ({"csrf": token, "choice": "FOR"}, {"choice": "FOR"}):
        sent = await anonymous.post(f"/app/proposals/{proposal}/vote", data=fields)
        assert sent.status_code == 303
        assert sent.headers["location"] == f"/app/signin?next=/app/proposals/{proposal}"
    proof = await anonymous.get(f"/app/proposals/{proposal}/my-vote")
    assert proof.status_code == 303 and proof.headers["location"].startswith("/app/signin?next=")
    assert (await gov.get(proposal))["tally"]["vote_count"] == 0


async def test_governance_forms_without_the_csrf_token_are_refused_and_write_nothing(
    make: Browser, gov: Gov
) -> None:
    owner = await owner_browser(make, gov)
    proposal = await propose_dish(owner)
    customer, customer_id = await voter(make, gov, 500)
    await customer.get(f"/app/proposals/{proposal}")  # has its CSRF cookie, sends no field
    for browser, action, fields in (
        (owner, f"/app/owner/proposals/{proposal}/open", {}),
        (owner, "/app/owner/proposals", {"name": "Forged dish", "price": "10"}),
        (owner, f"/app/owner/proposals/{proposal}/finalize", {}),
        (owner, f"/app/owner/proposals/{proposal}/execute", {}),
    ):
        missing = await browser.post(action, data=fields)
        wrong = await browser.post(action, data={**fields, "csrf": "0" * 64})
        for response in (missing, wrong):
            assert response.status_code == 403, action
            assert "form has expired" in response.text
    assert (await gov.get(proposal))["status"] == "PROPOSED"
    names = [p["title"] for p in ok(await gov.client.get(f"{BASE}/proposals"))["items"]]
    assert "Forged dish" not in names

    await press(owner, proposal, f"/app/owner/proposals/{proposal}/open")
    forged = await customer.post(f"/app/proposals/{proposal}/vote", data={"choice": "FOR"})
    assert forged.status_code == 403 and "form has expired" in forged.text
    votes = ok(await gov.client.get(f"{BASE}/proposals/{proposal}/votes"))["items"]
    assert [v for v in votes if v["voter_id"] == customer_id] == []


async def test_a_dish_form_with_a_bad_price_or_ingredient_says_what_is_wrong(
    make: Browser, gov: Gov
) -> None:
    owner = await owner_browser(make, gov)
    for fields, words in (
        ({"price": "twelve", "ingredients": ""}, "price: an amount in GEL, such as 24.50"),
        ({"price": "12.345", "ingredients": ""}, "price: an amount in GEL, such as 24.50"),
        ({"price": "12", "ingredients": "broth 300"}, "ingredients, line 1"),
    ):
        shown = await submit(
            owner, "/app/owner/proposals", "/app/owner/proposals", {"name": "Odd dish", **fields}
        )
        assert shown.status_code == 422
        assert words in shown.text
        assert 'value="Odd dish"' in shown.text  # what was typed stays in the form


async def test_a_tokenomics_proposal_shows_its_change_in_words(make: Browser, gov: Gov) -> None:
    _, proposer = await gov.holder(1_000)
    change = {
        "thp_price_tetri": 1_200,
        "owner_node_split": {"owner_bps": 4_500, "charity_bps": 300, "buyer_bps": 5_200},
    }
    created = ok(await gov.network(proposer, kind="TOKENOMICS_CHANGE", tokenomics=change), 201)
    page = await (await make()).get(f"/app/proposals/{created['id']}")
    assert page.status_code == 200, page.text
    assert "THP price: 12.00 GEL" in page.text
    shares = "owner 45.00 %, franchisee 0.00 %, charity 3.00 %, buyer 52.00 %"
    assert f"Shares on an owner node: {shares}" in page.text
    assert "data-abstain>0.00<" in page.text  # a network vote may abstain
    assert "Sign in to vote" in page.text
