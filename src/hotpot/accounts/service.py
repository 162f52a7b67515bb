"""Accounts: registration, sign-in (password, Ethereum), tokens, staff.

Terminals sign in through the network slice, which owns their credentials.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from eth_account import Account as EthAccount
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.accounts import repository as repo
from hotpot.accounts.schemas import NodeStaffIn, OfficeStaffIn, RegisterIn
from hotpot.context import AppContext
from hotpot.domain.access import AccessRole
from hotpot.domain.accounts import Account, Tokens
from hotpot.domain.errors import Conflict, NotFound, Unauthenticated
from hotpot.domain.results import Slice
from hotpot.network import repository as network_repo
from hotpot.security.pii import PiiVault, normalize_email, normalize_phone
from hotpot.security.tokens import Claims, issue_access_token, new_refresh_token, refresh_token_hash


def _identity_values(
    vault: PiiVault, account_id: UUID, email: str | None, phone: str | None, name: str | None
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if email is not None:
        normalized = normalize_email(email)
        values["email_hash"] = vault.lookup_hash("email", normalized)
        values["email_enc"] = vault.encrypt(normalized, f"email:{account_id}")
    if phone is not None:
        normalized = normalize_phone(phone)
        values["phone_hash"] = vault.lookup_hash("phone", normalized)
        values["phone_enc"] = vault.encrypt(normalized, f"phone:{account_id}")
    if name is not None:
        values["name_enc"] = vault.encrypt(name, f"name:{account_id}")
    return values


def _custodial_wallet(vault: PiiVault, account_id: UUID) -> dict[str, Any]:
    """A customer without a wallet of their own gets one whose key is encrypted at rest."""
    wallet = EthAccount.create()
    return {
        "wallet_address": wallet.address,
        "wallet_custodial": True,
        "custodial_key_enc": vault.encrypt(wallet.key.hex(), f"wallet-key:{account_id}"),
    }


def account_of(vault: PiiVault, row: RowMapping) -> Account:
    account_id = row["id"]

    def reveal(column: str, kind: str) -> str | None:
        blob = row[column]
        return vault.decrypt(blob, f"{kind}:{account_id}") if blob is not None else None

    return Account(
        id=account_id,
        role=row["role"],
        email=reveal("email_enc", "email"),
        phone=reveal("phone_enc", "phone"),
        name=reveal("name_enc", "name"),
        wallet_address=row["wallet_address"],
        wallet_custodial=row["wallet_custodial"],
        kyc_status=row["kyc_status"],
        node_id=row["node_id"],
        created_at=row.get("created_at"),
    )


async def register_customer(ctx: AppContext, data: RegisterIn) -> Account:
    account_id = uuid4()
    values = {
        "id": account_id,
        "role": AccessRole.CUSTOMER.value,
        "password_hash": ctx.passwords.hash(data.password),
        **_identity_values(ctx.vault, account_id, data.email, data.phone, data.name),
        **_custodial_wallet(ctx.vault, account_id),
    }
    async with ctx.db.transaction() as conn:
        if not await repo.insert_account(conn, values):
            raise Conflict("account_exists", "an account with this email or phone exists")
        row = await repo.by_id(conn, account_id)
    assert row is not None
    return account_of(ctx.vault, row)


async def create_staff(ctx: AppContext, data: OfficeStaffIn | NodeStaffIn) -> Account:
    account_id = uuid4()
    values = {
        "id": account_id,
        "role": data.role,
        "password_hash": ctx.passwords.hash(data.password),
        "node_id": data.node_id if isinstance(data, NodeStaffIn) else None,
        **_identity_values(ctx.vault, account_id, data.email, None, data.name),
        # A franchisee earns THP from their nodes' sales, so they need an address.
        **(_custodial_wallet(ctx.vault, account_id) if data.role == "franchisee" else {}),
    }
    async with ctx.db.transaction() as conn:
        if (
            values["node_id"] is not None
            and await network_repo.node(conn, values["node_id"]) is None
        ):
            raise NotFound("node_not_found", "no node with this id")
        if not await repo.insert_account(conn, values):
            raise Conflict("account_exists", "an account with this email exists")
        row = await repo.by_id(conn, account_id)
    assert row is not None
    return account_of(ctx.vault, row)


async def role_of(conn: AsyncConnection, account_id: UUID) -> str | None:
    """An account's role, or None when there is no such account."""
    return await repo.role_of(conn, account_id)


async def _node_ids_for(conn: AsyncConnection, row: RowMapping) -> tuple[UUID, ...]:
    role = AccessRole(row["role"])
    if role in (AccessRole.CHEF, AccessRole.CASHIER):
        return (row["node_id"],)
    if role is AccessRole.FRANCHISEE:
        return tuple(await network_repo.owned_node_ids(conn, row["id"]))
    return ()


async def _issue_pair(
    ctx: AppContext, conn: AsyncConnection, row: RowMapping, family_id: UUID | None = None
) -> Tokens:
    """An access token and a refresh token; a sign-in starts a new refresh family."""
    claims = Claims(subject=row["id"], role=row["role"], node_ids=await _node_ids_for(conn, row))
    ttl = ctx.settings.access_token_ttl_seconds
    refresh, refresh_hash = new_refresh_token()
    expires = datetime.now(UTC) + timedelta(seconds=ctx.settings.refresh_token_ttl_seconds)
    family = family_id if family_id is not None else uuid4()
    await repo.store_refresh_token(conn, uuid4(), row["id"], family, refresh_hash, expires)
    return Tokens(
        access_token=issue_access_token(ctx.settings.effective_jwt_secret, claims, ttl),
        refresh_token=refresh,
        expires_in=ttl,
    )


def _bad_login() -> Unauthenticated:
    return Unauthenticated("invalid_credentials", "the login or password is wrong")


def login_lookup(vault: PiiVault, login: str) -> tuple[str, bytes]:
    if "@" in login:
        return "email_hash", vault.lookup_hash("email", normalize_email(login))
    return "phone_hash", vault.lookup_hash("phone", normalize_phone(login))


async def login(ctx: AppContext, login_name: str, password: str) -> Tokens:
    column, lookup = login_lookup(ctx.vault, login_name)
    async with ctx.db.transaction() as conn:
        row = await repo.by_lookup(conn, column, lookup)
        stored = row["password_hash"] if row is not None and row["active"] else None
        if not ctx.passwords.verify(stored, password) or row is None:
            raise _bad_login()
        return await _issue_pair(ctx, conn, row)


def _bad_refresh() -> Unauthenticated:
    return Unauthenticated("invalid_refresh_token", "the refresh token is invalid or used")


async def refresh(ctx: AppContext, token: str) -> Tokens:
    """Rotate a refresh token. A used one coming back means it leaked (OAuth 2.0 Security
    BCP, reuse detection): its whole family is revoked and the user signs in again."""
    token_hash = refresh_token_hash(token)
    async with ctx.db.transaction() as conn:
        consumed = await repo.consume_refresh_token(conn, token_hash)
        if consumed is None:
            # Committed before the refusal, so the revocation survives the 401.
            await repo.revoke_family_of(conn, token_hash)
        else:
            account_id, family_id = consumed
            row = await repo.by_id(conn, account_id)
            if row is None or not row["active"]:
                raise _bad_refresh()
            return await _issue_pair(ctx, conn, row, family_id)
    raise _bad_refresh()


async def logout(ctx: AppContext, token: str) -> None:
    async with ctx.db.transaction() as conn:
        await repo.consume_refresh_token(conn, refresh_token_hash(token))


async def siwe_nonce(ctx: AppContext) -> str:
    nonce = secrets.token_hex(16)
    expires = datetime.now(UTC) + timedelta(seconds=ctx.settings.siwe_nonce_ttl_seconds)
    async with ctx.db.transaction() as conn:
        await repo.store_nonce(conn, nonce, expires)
    return nonce


async def siwe_login(ctx: AppContext, message: str, signature: str) -> Tokens:
    """EIP-4361: signature, domain, chain, expiry, and a nonce that works exactly once."""
    # Imported here: siwe's grammars cost each API worker about 12 MB for a rare sign-in.
    from siwe import SiweMessage
    from siwe.siwe import VerificationError

    settings = ctx.settings
    try:
        parsed = SiweMessage.from_message(message)
    except Exception as exc:  # the parser raises several unrelated types on bad input
        # 401, like every other refused sign-in: the credential is not acceptable.
        raise Unauthenticated("siwe_malformed", "the sign-in message is not EIP-4361") from exc
    try:
        parsed.verify(signature, domain=settings.siwe_domain)
    except VerificationError as exc:
        code = type(exc).__name__
        raise Unauthenticated("siwe_rejected", f"sign-in message refused: {code}") from exc
    if int(parsed.chain_id) != settings.siwe_chain_id:
        raise Unauthenticated("siwe_rejected", "sign-in message refused: wrong chain id")
    address = str(parsed.address)
    async with ctx.db.transaction() as conn:
        if not await repo.consume_nonce(conn, str(parsed.nonce)):
            raise Unauthenticated("siwe_rejected", "sign-in message refused: nonce unknown or used")
        row = await repo.by_lookup(conn, "wallet_address", address)
        if row is None:
            await repo.insert_account(
                conn, {"id": uuid4(), "role": AccessRole.CUSTOMER.value, "wallet_address": address}
            )
            row = await repo.by_lookup(conn, "wallet_address", address)
        assert row is not None
        if not row["active"]:
            raise _bad_login()
        return await _issue_pair(ctx, conn, row)


async def me(ctx: AppContext, account_id: UUID) -> Account:
    async with ctx.db.read() as conn:
        row = await repo.by_id(conn, account_id)
    if row is None:
        raise NotFound("account_not_found", "this account no longer exists")
    return account_of(ctx.vault, row)


async def staff_page(ctx: AppContext, limit: int, offset: int) -> Slice[Account]:
    async with ctx.db.read() as conn:
        rows = await repo.list_staff(conn, limit + 1, offset)
    return Slice([account_of(ctx.vault, row) for row in rows[:limit]], len(rows) > limit)
