"""Registration, sign-in, refresh rotation, and personal data encrypted at rest."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select

from hotpot.accounts.tables import accounts
from hotpot.context import AppContext
from tests.support import PASSWORD, World, bearer, ok, unique_email


async def test_personal_data_is_encrypted_and_found_by_keyed_hash(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    email = unique_email("pii")
    account = ok(
        await client.post(
            "/api/v1/auth/register",
            json={
                "email": email,
                "phone": "+995 555 12 34 56",
                "password": PASSWORD,
                "name": "Nino",
            },
        ),
        201,
    )
    async with ctx.db.read() as conn:
        row = (
            (await conn.execute(select(accounts).where(accounts.c.id == uuid.UUID(account["id"]))))
            .mappings()
            .one()
        )
    stored = b"".join(value for value in row.values() if isinstance(value, bytes))
    for secret in (email.encode(), b"Nino", b"555", PASSWORD.encode()):
        assert secret not in stored
    assert PASSWORD not in (row["password_hash"] or "")
    assert row["password_hash"].startswith("$argon2id$")
    assert row["custodial_key_enc"] is not None and row["wallet_custodial"] is True
    # Sign-in by phone in another format finds the same account through the keyed hash.
    token = ok(
        await client.post(
            "/api/v1/auth/login", json={"login": "+995555123456", "password": PASSWORD}
        )
    )["access_token"]
    me = ok(await client.get("/api/v1/me", headers=bearer(token)))
    assert me["email"] == email and me["name"] == "Nino" and me["phone"] == "+995555123456"


async def test_duplicate_registration_is_a_conflict(client: httpx.AsyncClient) -> None:
    email = unique_email("dup")
    ok(await client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD}), 201)
    again = await client.post(
        "/api/v1/auth/register", json={"email": email.upper(), "password": PASSWORD}
    )
    assert again.status_code == 409 and again.json()["code"] == "account_exists"


async def test_wrong_password_and_unknown_login_look_the_same(client: httpx.AsyncClient) -> None:
    email = unique_email("pw")
    ok(await client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD}), 201)
    wrong = await client.post("/api/v1/auth/login", json={"login": email, "password": "nope-nope"})
    unknown = await client.post(
        "/api/v1/auth/login", json={"login": unique_email("ghost"), "password": "nope-nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


async def test_refresh_tokens_rotate_and_cannot_be_reused(client: httpx.AsyncClient) -> None:
    email = unique_email("refresh")
    ok(await client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD}), 201)
    pair = ok(await client.post("/api/v1/auth/login", json={"login": email, "password": PASSWORD}))
    rotated = ok(
        await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    )
    assert rotated["refresh_token"] != pair["refresh_token"]
    reused = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert reused.status_code == 401
    logout = await client.post(
        "/api/v1/auth/logout", json={"refresh_token": rotated["refresh_token"]}
    )
    assert logout.status_code == 204
    after = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]}
    )
    assert after.status_code == 401


async def test_a_replayed_refresh_token_revokes_its_family(client: httpx.AsyncClient) -> None:
    """OAuth 2.0 Security BCP reuse detection: RT1 coming back after RT1 -> RT2 means
    RT1 leaked, so RT2 (and whatever was rotated from it) stops working too."""
    email = unique_email("reuse")
    ok(await client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD}), 201)
    login = {"login": email, "password": PASSWORD}
    other_session = ok(await client.post("/api/v1/auth/login", json=login))
    first = ok(await client.post("/api/v1/auth/login", json=login))["refresh_token"]
    second = ok(await client.post("/api/v1/auth/refresh", json={"refresh_token": first}))
    second_token = second["refresh_token"]
    replayed = await client.post("/api/v1/auth/refresh", json={"refresh_token": first})
    assert replayed.status_code == 401
    assert replayed.json()["code"] == "invalid_refresh_token"
    descendant = await client.post("/api/v1/auth/refresh", json={"refresh_token": second_token})
    assert descendant.status_code == 401
    # Only the replayed sign-in's family is revoked: another session keeps working,
    # and signing in again starts a fresh family.
    ok(
        await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": other_session["refresh_token"]}
        )
    )
    fresh = ok(await client.post("/api/v1/auth/login", json=login))
    ok(await client.post("/api/v1/auth/refresh", json={"refresh_token": fresh["refresh_token"]}))


async def test_chef_needs_a_node_and_staff_emails_are_unique(
    client: httpx.AsyncClient, world: World
) -> None:
    no_node = await client.post(
        "/api/v1/staff",
        json={"email": unique_email("chef"), "password": PASSWORD, "role": "chef"},
        headers=world.auth("owner"),
    )
    assert no_node.status_code == 422 and no_node.json()["code"] == "validation_error"
    assert any("node_id" in err["loc"] for err in no_node.json()["errors"])


async def test_terminal_with_wrong_secret_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    terminal_id, (_node, _secret) = next(iter(world.terminal_secrets.items()))
    response = await client.post(
        "/api/v1/auth/terminal", json={"terminal_id": terminal_id, "secret": "wrong-secret-value"}
    )
    assert response.status_code == 401
