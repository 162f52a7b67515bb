"""Each period of the rules, changed through the settings, changes what the service does.

The module runs its own app, with every period shortened or moved away from domain.md's
default, on its own database; time moves through the services' `now` and the governance
clock, never by sleeping.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from hotpot.adapters.database import migrate
from hotpot.domain.access import AccessRole, Actor
from hotpot.domain.errors import Conflict, Gone
from hotpot.sales import expiry, receipts
from hotpot.sales import pool as pool_service
from tests.integration.test_governance_api import BASE, Gov, gov_app
from tests.support import World, bearer, ok

PERIODS = {
    "receipt_lifetime_seconds": 86_400,  # 1 day instead of 30
    "distribution_period": "MONTHLY",  # instead of yearly
    "dish_voting_seconds": 7_200,  # 2 hours instead of 7 days
    "network_voting_min_hours": 48,  # 48..96 h (60) instead of 24..168 h (72)
    "network_voting_max_hours": 96,
    "network_voting_default_hours": 60,
    "governance_timelock_seconds": 600,  # 10 minutes instead of 24 hours
    "spot_day_seconds": 1,  # a SPOT day of one second instead of a calendar day
}
LIFETIME = timedelta(days=1)
EPSILON = timedelta(minutes=1)


@pytest.fixture(scope="module")
def periods_database(fresh_database: Callable[[], str]) -> str:
    url = fresh_database()
    migrate(url)
    return url


@pytest.fixture(scope="module")
async def gov(periods_database: str, redis_url: str) -> AsyncIterator[Gov]:
    async with gov_app(periods_database, redis_url, **PERIODS) as running:
        yield running


@pytest.fixture(autouse=True)
def _reset_clock(gov: Gov) -> Iterator[None]:
    gov.clock.now = datetime.now(UTC)
    yield


async def sell(world: World, item: str) -> dict[str, Any]:
    body = {"terminal_sale_id": uuid.uuid4().hex, "lines": [{"item_id": item, "quantity": 1}]}
    sale = ok(
        await world.client.post("/api/v1/sales", json=body, headers=world.auth("terminal")), 201
    )
    assert isinstance(sale, dict)
    return sale


async def claim_at(
    world: World, customer: dict[str, Any], sale: dict[str, Any], at: datetime | None
) -> Any:
    actor = Actor(role=AccessRole.CUSTOMER, id=uuid.UUID(customer["id"]))
    return await receipts.claim_receipt(
        world.ctx, actor, uuid.UUID(sale["receipt_id"]), sale["activation_code"], now=at
    )


def owner_actor() -> Actor:
    return Actor(role=AccessRole.OWNER, id=uuid.uuid4())


def _code(response: httpx.Response) -> str:
    assert response.headers["content-type"].startswith("application/problem+json")
    return str(response.json()["code"])


# --- receipts, the SPOT day, the distribution period ------------------------------------


async def test_a_receipt_lives_as_long_as_the_setting_says(gov: Gov) -> None:
    world = gov.world
    item = await world.item(price=10_000, portions=10)
    kept, late = await sell(world, item), await sell(world, item)
    issued = datetime.fromisoformat(late["created_at"])
    assert datetime.fromisoformat(late["expires_at"]) - issued == LIFETIME
    customer, _ = await world.customer()
    claimed = await claim_at(world, customer, kept, issued + LIFETIME - EPSILON)
    assert claimed.thp_units == kept["thp_units"]
    with pytest.raises(Gone) as refused:
        await claim_at(world, customer, late, issued + LIFETIME + EPSILON)
    assert refused.value.code == "receipt_expired"


async def test_the_expiry_sweep_uses_the_receipt_lifetime(gov: Gov) -> None:
    world, ctx = gov.world, gov.ctx
    item = await world.item(price=10_000, portions=10)
    sale = await sell(world, item)
    issued = datetime.fromisoformat(sale["created_at"])
    before = await expiry.expire_receipts(ctx, now=issued + LIFETIME - EPSILON)
    assert before.expired == 0
    after = await expiry.expire_receipts(ctx, now=issued + LIFETIME + EPSILON)
    assert after.expired >= 1 and after.thp_units_to_pool >= sale["thp_units"]
    printed = ok(
        await world.client.get(
            f"/api/v1/receipts/{sale['receipt_id']}/print", headers=world.auth("terminal")
        )
    )
    assert printed["status"] == "EXPIRED"


async def test_the_spot_cap_counts_over_the_configured_spot_day(gov: Gov) -> None:
    world = gov.world
    item = await world.item(price=10_000, portions=10)  # 100 GEL: 10 SPOT, a whole day's cap
    first, second = await sell(world, item), await sell(world, item)
    customer, _ = await world.customer()
    today = await claim_at(world, customer, first, None)
    assert today.spot_units == 1_000 and today.spot_units_burned == 0
    # Two seconds later is another SPOT day of one second: the cap counts afresh (with
    # domain.md's calendar day, the whole 10 SPOT would be burned).
    next_day = await claim_at(world, customer, second, datetime.now(UTC) + timedelta(seconds=2))
    assert next_day.spot_units == 1_000 and next_day.spot_units_burned == 0


async def test_the_pool_is_distributed_once_per_configured_period(gov: Gov) -> None:
    world, ctx = gov.world, gov.ctx
    item = await world.item(price=10_000, portions=20)
    _, token = await world.customer()
    pool = ok(await world.client.get("/api/v1/pool", headers=world.auth("owner")))
    assert pool["period"] == "MONTHLY"
    assert re.fullmatch(r"\d{4}-\d{2}", pool["current_period"])  # a month, not a year
    labels = []
    for month in (3, 4):
        sales = [await sell(world, item) for _ in range(3)]
        ok(
            await world.client.post(
                f"/api/v1/receipts/{sales[0]['receipt_id']}/claim",
                json={"code": sales[0]["activation_code"]},
                headers=bearer(token),
            )
        )
        issued = datetime.fromisoformat(sales[-1]["created_at"])
        await expiry.expire_receipts(ctx, now=issued + LIFETIME + EPSILON)
        at = datetime(2101, month, 15, tzinfo=UTC)
        done = await pool_service.distribute_pool(ctx, owner_actor(), now=at)
        labels.append(done.label)
    # Two months of one year: two periods (a yearly period would refuse the second).
    assert labels == ["2101-03", "2101-04"]
    with pytest.raises(Conflict) as again:
        await pool_service.distribute_pool(
            ctx, owner_actor(), now=datetime(2101, 4, 30, tzinfo=UTC)
        )
    assert again.value.code == "already_distributed"


# --- governance: dish window, network bounds and default, timelock ----------------------


async def test_a_dish_vote_lasts_the_configured_window(gov: Gov) -> None:
    proposal = ok(await gov.dish(), 201)
    opened = ok(
        await gov.client.post(f"{BASE}/proposals/{proposal['id']}/open", headers=gov.owner())
    )
    opens, closes = (datetime.fromisoformat(opened[k]) for k in ("opens_at", "closes_at"))
    assert closes - opens == timedelta(hours=2)
    _, voter = await gov.holder(1_000)
    gov.clock.advance(timedelta(hours=2, seconds=1))
    late = await gov.vote(proposal["id"], voter, "FOR")
    assert late.status_code == 409 and _code(late) == "voting_closed"


async def test_network_voting_periods_keep_the_configured_bounds(gov: Gov) -> None:
    proposer = await gov.proposer()
    default = ok(await gov.network(proposer), 201)
    assert default["voting_hours"] == 60
    window = datetime.fromisoformat(default["closes_at"]) - datetime.fromisoformat(
        default["opens_at"]
    )
    assert window == timedelta(hours=60)
    for hours in (48, 96):
        assert ok(await gov.network(proposer, voting_hours=hours), 201)["voting_hours"] == hours
    # Inside domain.md's 24..168 h but outside the configured 48..96 h.
    for hours in (24, 47, 97, 168):
        refused = await gov.network(proposer, voting_hours=hours)
        assert refused.status_code == 422, (hours, refused.text)
        assert _code(refused) == "invalid_voting_period"
        assert "between 48 h and 96 h" in refused.json()["detail"]
    # Bad input is refused before the proposer's rights are looked up.
    _, poor = await gov.holder(0)
    assert _code(await gov.network(poor, voting_hours=24)) == "invalid_voting_period"


async def test_the_openapi_document_publishes_the_bounds_in_force(gov: Gov) -> None:
    spec = ok(await gov.client.get("/openapi.json"))
    for model in ("PlainProposalIn", "TokenomicsProposalIn"):
        voting = spec["components"]["schemas"][model]["properties"]["voting_hours"]
        assert (voting["minimum"], voting["maximum"], voting["default"]) == (48, 96, 60)


async def test_a_passed_proposal_waits_the_configured_timelock(gov: Gov) -> None:
    # Big enough for quorum and a majority whatever the other tests left in the supply.
    _, big = await gov.holder(4 * await gov.supply() + 100_000)
    proposal = ok(await gov.network(big, voting_hours=48), 201)
    pid = proposal["id"]
    closes = datetime.fromisoformat(proposal["closes_at"])
    assert datetime.fromisoformat(proposal["executable_at"]) == closes + timedelta(minutes=10)
    ok(await gov.vote(pid, big, "FOR"), 201)
    gov.clock.now = closes
    ok(await gov.finalize(pid))
    gov.clock.now = closes + timedelta(minutes=10) - timedelta(seconds=1)
    early = await gov.execute(pid)
    assert early.status_code == 409 and _code(early) == "timelock"
    gov.clock.now = closes + timedelta(minutes=10)
    executed = ok(await gov.execute(pid))
    assert executed["status"] == "EXECUTED"
