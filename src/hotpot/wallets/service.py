"""Wallets: what a holder has, its history, and THP transfers between verified customers."""

from __future__ import annotations

from uuid import UUID, uuid4

import orjson
from sqlalchemy import select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.accounts.tables import accounts
from hotpot.context import AppContext
from hotpot.domain.access import AccessRole, Actor
from hotpot.domain.caps import would_exceed_customer_cap
from hotpot.domain.stake import role_by_stake
from hotpot.http import idempotency
from hotpot.http.problems import ApiError
from hotpot.ledger import holders
from hotpot.ledger import repository as ledger
from hotpot.ledger.repository import InsufficientBalance, Movement
from hotpot.wallets.schemas import EntryOut, TransferIn, TransferOut, WalletOut


def holder_of(actor: Actor) -> str:
    """The ledger holder behind a caller: the owner's staff act for the network treasury."""
    if actor.role is AccessRole.OWNER:
        return holders.OWNER
    if actor.role in (AccessRole.CUSTOMER, AccessRole.FRANCHISEE):
        return holders.account_holder(actor.id)
    raise ApiError(403, "no_wallet", f"a {actor.role} account holds no tokens")


async def wallet(ctx: AppContext, actor: Actor) -> WalletOut:
    holder = holder_of(actor)
    async with ctx.db.read() as conn:
        held = await ledger.balances(conn, holder)
        supply = await ledger.supply(conn, "THP")
        row = None
        if holder != holders.OWNER:
            row = (
                await conn.execute(
                    select(accounts.c.wallet_address, accounts.c.kyc_status).where(
                        accounts.c.id == actor.id
                    )
                )
            ).first()
    return WalletOut(
        holder=holder,
        address=row.wallet_address if row else ctx.settings.owner_address,
        thp_units=held["THP"],
        spot_units=held["SPOT"],
        role=role_by_stake(held["THP"], max(supply, held["THP"]), is_owner=holder == holders.OWNER),
        kyc_status=row.kyc_status if row else None,
    )


def _entry_out(holder: str, row: RowMapping) -> EntryOut:
    sign = -1 if row["from_holder"] == holder else 1
    return EntryOut(
        id=row["id"],
        token=row["token"],
        kind=row["kind"],
        units=sign * row["units"],
        ref_kind=row["ref_kind"],
        ref_id=row["ref_id"],
        created_at=row["created_at"],
    )


async def history(ctx: AppContext, actor: Actor, limit: int, offset: int) -> list[EntryOut]:
    holder = holder_of(actor)
    async with ctx.db.read() as conn:
        rows = await ledger.history(conn, holder, limit + 1, offset)
    return [_entry_out(holder, row) for row in rows]


async def set_kyc(ctx: AppContext, account_id: UUID, status: str) -> None:
    async with ctx.db.transaction() as conn:
        row = await conn.execute(
            update(accounts)
            .where(accounts.c.id == account_id, accounts.c.role == AccessRole.CUSTOMER.value)
            .values(kyc_status=status)
            .returning(accounts.c.id)
        )
        if row.first() is None:
            raise ApiError(404, "customer_not_found", "no customer with this id")


async def _customer_by(conn: AsyncConnection, column: str, value: object) -> RowMapping | None:
    stmt = (
        select(accounts.c.id, accounts.c.wallet_address, accounts.c.kyc_status, accounts.c.role)
        .where(accounts.c[column] == value)
        .with_for_update()
    )
    return (await conn.execute(stmt)).mappings().first()


async def _transfer(
    ctx: AppContext, conn: AsyncConnection, actor: Actor, data: TransferIn
) -> tuple[int, bytes]:
    sender = await _customer_by(conn, "id", actor.id)
    receiver = await _customer_by(conn, "wallet_address", data.to_address)
    if receiver is None or receiver["role"] != AccessRole.CUSTOMER.value:
        raise ApiError(404, "receiver_not_found", "no customer holds this address")
    if sender is None or sender["id"] == receiver["id"]:
        raise ApiError(409, "invalid_receiver", "a transfer needs another customer")
    for who, row in (("sender", sender), ("receiver", receiver)):
        if row["kyc_status"] != "VERIFIED":
            raise ApiError(409, "kyc_required", f"the {who} is not KYC-verified; THP cannot move")
    to_holder = holders.account_holder(receiver["id"])
    supply = await ledger.supply(conn, "THP")
    if would_exceed_customer_cap(await ledger.balance(conn, to_holder, "THP"), data.units, supply):
        raise ApiError(409, "customer_cap", "this would take the receiver above 49 % of THP supply")
    transfer_id = str(uuid4())
    move = Movement(
        "THP",
        "transfer",
        data.units,
        holders.account_holder(actor.id),
        to_holder,
        "transfer",
        transfer_id,
    )
    try:
        await ledger.post(conn, ctx.settings, [move])
    except InsufficientBalance as exc:
        raise ApiError(409, "insufficient_balance", "not enough THP") from exc
    out = TransferOut(
        transfer_id=transfer_id,
        from_address=sender["wallet_address"],
        to_address=receiver["wallet_address"],
        units=data.units,
    )
    return 201, orjson.dumps(out.model_dump(mode="json"))


async def transfer(
    ctx: AppContext, actor: Actor, data: TransferIn, idempotency_key: str | None
) -> tuple[int, bytes]:
    """THP between two VERIFIED customers; refused if it takes the receiver over 49 %."""
    if actor.role is not AccessRole.CUSTOMER:
        raise ApiError(403, "forbidden", "only customers transfer THP")

    async def work(conn: AsyncConnection) -> tuple[int, bytes]:
        return await _transfer(ctx, conn, actor, data)

    return await idempotency.run_once(
        ctx.db,
        scope=str(actor.id),
        key=idempotency_key,
        fingerprint=idempotency.request_fingerprint("POST", "/api/v1/transfers", data.model_dump()),
        in_flight_seconds=ctx.settings.idempotency_in_flight_seconds,
        work=work,
    )
