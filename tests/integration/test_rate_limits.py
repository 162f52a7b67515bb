"""Rate limits at window edges and against lock-outs, with Redis and without (issue 10).

The limiter takes a clock the tests move (`RateLimiter.clock`), so a minute boundary is
crossed without waiting for one.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from hotpot.adapters.cache import Cache
from hotpot.adapters.ratelimit import GCRA_SCRIPT, MAX_STRIKES
from hotpot.app import create_app
from hotpot.config import Settings
from hotpot.security.gcra import Bucket, Rate, decide
from tests.conftest import make_settings
from tests.support import PASSWORD, World, bearer
from tests.web.conftest import csrf_of

BOUNDARY = 1_800_000_000.0  # a minute boundary: divisible by 60

# The shipped limits, not the suite's generous ones.
DEFAULT_LIMITS = {
    name: Settings.model_fields[name].default
    for name in Settings.model_fields
    if name.startswith("rate_limit_")
}


@dataclass
class MovableClock:
    now: float = BOUNDARY - 1.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Limited:
    http: httpx.AsyncClient
    clock: MovableClock


@pytest.fixture(params=["redis", "per-process"])
async def limited(
    request: pytest.FixtureRequest, database_url: str, redis_url: str
) -> AsyncIterator[Limited]:
    shared = redis_url if request.param == "redis" else None
    settings = make_settings(database_url, shared, trusted_proxy_hops=1, **DEFAULT_LIMITS)
    app = create_app(settings)
    clock = MovableClock()
    app.state.context.limiter.clock = clock
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        yield Limited(http, clock)
    await app.state.context.cache.close()
    await app.state.context.db.dispose()


def _address() -> str:
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


def _from(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


async def _login(limited: Limited, login: str, password: str, address: str) -> int:
    response = await limited.http.post(
        "/api/v1/auth/login", json={"login": login, "password": password}, headers=_from(address)
    )
    return response.status_code


async def test_twelve_wrong_logins_straddling_a_minute_boundary_are_cut_at_ten(
    limited: Limited,
) -> None:
    address, name = _address(), f"nobody-{uuid.uuid4().hex[:8]}@hotpot-tests.org"
    codes = []
    for i in range(12):  # 59.0 s .. 61.2 s: six before the minute turns, six after
        limited.clock.now = BOUNDARY - 1.0 + i * 0.2
        codes.append(await _login(limited, name, "wrong-password", address))
    assert codes == [401] * 10 + [429] * 2
    # No window resets: one more attempt an interval (6 s) later, then refused again.
    limited.clock.now += 6.0
    assert await _login(limited, name, "wrong-password", address) == 401
    assert await _login(limited, name, "wrong-password", address) == 429


async def test_a_burst_of_130_orders_straddling_a_boundary_gets_120(
    limited: Limited, world: World
) -> None:
    item = await world.item(portions=1_000)
    token = (await world.customer())[1]
    body = {"node_id": world.node_a, "lines": [{"item_id": item, "quantity": 1}]}
    codes = []
    for i in range(130):  # 0.13 s across the boundary: under one 0.5 s interval
        limited.clock.now = BOUNDARY - 0.065 + i * 0.001
        response = await limited.http.post("/api/v1/orders", json=body, headers=bearer(token))
        codes.append(response.status_code)
    assert codes.count(201) == 120 and codes.count(429) == 10
    assert codes[120:] == [429] * 10
    limited.clock.now += 0.5  # one interval later, one more order
    response = await limited.http.post("/api/v1/orders", json=body, headers=bearer(token))
    assert response.status_code == 201


async def test_guesses_from_another_address_do_not_lock_the_owner_out(
    limited: Limited, world: World
) -> None:
    staff = await world.staff("compliance")  # an account of our own to guess at
    attacker, owner = _address(), _address()
    guesses = [await _login(limited, staff["email"], "wrong-password", attacker) for _ in range(12)]
    assert guesses == [401] * 10 + [429] * 2
    assert await _login(limited, staff["email"], PASSWORD, owner) == 200


async def test_tills_and_wallets_behind_the_same_address_sign_in_after_wrong_passwords(
    limited: Limited, world: World
) -> None:
    shared = _address()  # the restaurant's NAT
    for _ in range(40):  # fills every password-login bucket of this address
        await _login(limited, f"x{uuid.uuid4().hex[:6]}@hotpot-tests.org", "wrong", shared)
    assert await _login(limited, "late@hotpot-tests.org", "wrong", shared) == 429
    await world.terminal(world.node_a)
    terminal_id, (_node, secret) = list(world.terminal_secrets.items())[-1]
    response = await limited.http.post(
        "/api/v1/auth/terminal",
        json={"terminal_id": terminal_id, "secret": secret},
        headers=_from(shared),
    )
    assert response.status_code == 200
    # SIWE has a bucket of its own too: a bad signature is answered, not rate limited.
    siwe = await limited.http.post(
        "/api/v1/auth/siwe",
        json={"message": "not a sign-in message " * 4, "signature": "0x" + "00" * 65},
        headers=_from(shared),
    )
    assert (siwe.status_code, siwe.json()["code"]) == (401, "siwe_malformed"), siwe.text


async def _web_form(limited: Limited, path: str, fields: dict[str, str], address: str) -> int:
    """A web page's form, as a browser sends it: the page (for its CSRF token), then the POST."""
    shown = await limited.http.get(path, headers=_from(address))
    answer = await limited.http.post(
        path, data={"csrf": csrf_of(shown.text), **fields}, headers=_from(address)
    )
    return answer.status_code


async def test_the_web_pages_sign_in_through_the_same_buckets_as_the_api(
    limited: Limited, world: World
) -> None:
    """The pages kept copies of the old limits: wrong passwords on /app/signin from a
    restaurant's address filled the bucket its till's sign-in page used."""
    shared = _address()
    for _ in range(12):  # more than the tight per (name, address) limit, different names
        name = f"x{uuid.uuid4().hex[:6]}@hotpot-tests.org"
        assert (
            await _web_form(limited, "/app/signin", {"login": name, "password": "w"}, shared) == 401
        )
    await world.terminal(world.node_a)
    terminal_id, (_node, secret) = list(world.terminal_secrets.items())[-1]
    till = {"terminal_id": terminal_id, "secret": secret}
    assert await _web_form(limited, "/app/till/signin", till, shared) == 303
    # One name from one address: the API's tight bucket holds on the page too.
    name = f"y{uuid.uuid4().hex[:6]}@hotpot-tests.org"
    codes = [
        await _web_form(limited, "/app/signin", {"login": name, "password": "w"}, shared)
        for _ in range(11)
    ]
    assert codes == [401] * 10 + [429]


async def test_a_name_guessed_from_many_addresses_backs_off(limited: Limited) -> None:
    name = f"target-{uuid.uuid4().hex[:8]}@hotpot-tests.org"
    codes = []
    for i in range(101):  # 100 an hour per name, from 101 addresses
        limited.clock.now = BOUNDARY + i * 0.01
        codes.append(await _login(limited, name, "wrong", _address()))
    assert codes == [401] * 100 + [429]
    first = await limited.http.post(
        "/api/v1/auth/login", json={"login": name, "password": "wrong"}, headers=_from(_address())
    )
    assert first.status_code == 429
    # The first backoff is two intervals (72 s); past it one guess, and the next waits 144 s.
    limited.clock.now += 72.5
    assert await _login(limited, name, "wrong", _address()) == 401
    second = await limited.http.post(
        "/api/v1/auth/login", json={"login": name, "password": "wrong"}, headers=_from(_address())
    )
    assert second.status_code == 429 and int(second.headers["retry-after"]) == 144


async def test_the_redis_script_and_the_rule_agree(redis_url: str) -> None:
    cache = Cache(redis_url, namespace=f"test-{uuid.uuid4().hex[:8]}")
    rng = random.Random(7)
    try:
        for backoff in (False, True):
            rate = Rate(5, 10.0, backoff)
            state, now = Bucket(), BOUNDARY
            for _ in range(200):
                now += rng.choice([0.0, 0.1, 0.5, 1.0, 2.0, 4.5])
                expected = decide(state, now, rate)
                state = expected.bucket
                args: list[str | int | float] = [repr(now), 5, repr(10.0), int(backoff)]
                got = await cache.run_script(GCRA_SCRIPT, [f"k{backoff}"], [*args, MAX_STRIKES])
                assert isinstance(got, list)
                assert bool(int(got[0])) == expected.allowed
                assert float(got[1]) == pytest.approx(expected.retry_after, abs=1e-6)
    finally:
        await cache.close()


async def test_sign_in_with_ethereum_on_the_pages_shares_the_api_bucket(
    limited: Limited,
) -> None:
    """The page's SIWE route counts in the API's `siwe` bucket (accounts/limits.py)."""
    address = _address()
    garbage = {"message": "not a sign-in message " * 4, "signature": "0x" + "00" * 65}
    codes = []
    for _ in range(6):
        response = await limited.http.post(
            "/api/v1/auth/siwe", json=garbage, headers=_from(address)
        )
        codes.append(response.status_code)
    shown = await limited.http.get("/app/signin", headers=_from(address))
    for _ in range(5):
        response = await limited.http.post(
            "/app/signin/ethereum",
            data={"csrf": csrf_of(shown.text), **garbage},
            headers=_from(address),
        )
        codes.append(response.status_code)
    # The shipped limit is 10 a minute, whichever edge the attempts came through.
    assert codes == [401] * 10 + [429], codes
    api = await limited.http.post("/api/v1/auth/siwe", json=garbage, headers=_from(address))
    assert api.status_code == 429
