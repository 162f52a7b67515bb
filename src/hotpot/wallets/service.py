"""Wallets: what a holder has, its history, and THP transfers between verified customers."""

from __future__ import annotations

from uuid import UUID, uuid4

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.accounts import repository as accounts_repo
from hotpot.accounts.service import account_of
from hotpot.context import AppContext
from hotpot.domain.access import AccessRole, Actor
from hotpot.domain.accounts import Account
from hotpot.domain.caps import would_exceed_customer_cap
from hotpot.domain.errors import Conflict, Forbidden, Invalid, NotFound
from hotpot.domain.results import Slice
from hotpot.domain.stake import role_by_stake
from hotpot.domain.wallets import KYC_WAITING, Transfer, Wallet, WalletEntry
from hotpot.ledger import holders
from hotpot.ledger import repository as ledger
from hotpot.ledger.repository import InsufficientBalance, Movement
from hotpot.wallets.schemas import TransferIn


def holder_of(actor: Actor) -> str:
    """The ledger holder behind a caller: the owner's staff act for the network treasury."""
    if actor.role is AccessRole.OWNER:
        return holders.OWNER
    if actor.role in (AccessRole.CUSTOMER, AccessRole.FRANCHISEE):
        return holders.account_holder(actor.id)
    raise Forbidden("no_wallet", f"a {actor.role} account holds no tokens")


async def wallet(ctx: AppContext, actor: Actor) -> Wallet:
    holder = holder_of(actor)
    async with ctx.db.read() as conn:
        held, supply = await ledger.balances_and_supply(conn, holder, "THP")
        row = await accounts_repo.wallet_of(conn, actor.id) if holder != holders.OWNER else None
    return Wallet(
        holder=holder,
        address=row["wallet_address"] if row else ctx.settings.owner_address,
        thp_units=held["THP"],
        spot_units=held["SPOT"],
        role=role_by_stake(held["THP"], max(supply, held["THP"]), is_owner=holder == holders.OWNER),
        kyc_status=row["kyc_status"] if row else None,
    )


def _entry(holder: str, row: RowMapping) -> WalletEntry:
    sign = -1 if row["from_holder"] == holder else 1
    return WalletEntry(
        id=row["id"],
        token=row["token"],
        kind=row["kind"],
        units=sign * row["units"],
        ref_kind=row["ref_kind"],
        ref_id=row["ref_id"],
        created_at=row["created_at"],
    )


async def history(
    ctx: AppContext, actor: Actor, limit: int, offset: int, before: int | None = None
) -> Slice[WalletEntry]:
    """A page of the holder's entries, newest first: below entry id `before` (keyset), or
    after skipping `offset` of them (the older way to page)."""
    holder = holder_of(actor)
    async with ctx.db.read() as conn:
        rows = await ledger.history(conn, holder, limit + 1, offset, before)
    return Slice([_entry(holder, row) for row in rows[:limit]], has_more=len(rows) > limit)


async def set_kyc(ctx: AppContext, account_id: UUID, status: str) -> None:
    async with ctx.db.transaction() as conn:
        if not await accounts_repo.set_customer_kyc(conn, account_id, status):
            raise NotFound("customer_not_found", "no customer with this id")


async def kyc_queue(
    ctx: AppContext,
    limit: int,
    after: UUID | None = None,
    statuses: tuple[str, ...] = KYC_WAITING,
    offset: int = 0,
) -> Slice[Account]:
    """Customers waiting for a KYC decision (PENDING or NOT_STARTED, or one of them),
    longest waiting first, with their contact details decrypted for the compliance
    officer; `after` is the last customer of the previous page (keyset), `offset` how
    many to skip after it."""
    wanted = tuple(status for status in statuses if status in KYC_WAITING)
    if not wanted:
        raise Invalid("invalid_status", "the queue holds PENDING and NOT_STARTED customers")
    async with ctx.db.read() as conn:
        role = None if after is None else await accounts_repo.role_of(conn, after)
        if after is not None and role != AccessRole.CUSTOMER.value:
            raise Invalid("invalid_cursor", "the cursor names no customer")
        rows = await accounts_repo.kyc_queue(conn, wanted, limit + 1, offset, after)
    return Slice.of([account_of(ctx.vault, row) for row in rows], limit)


def sender_of(actor: Actor) -> UUID:
    """The account a transfer leaves from: only customers move THP."""
    if actor.role is not AccessRole.CUSTOMER:
        raise Forbidden("forbidden", "only customers transfer THP")
    return actor.id


async def transfer(
    ctx: AppContext, conn: AsyncConnection, actor: Actor, data: TransferIn
) -> Transfer:
    """THP between two VERIFIED customers, in the caller's transaction; refused if it takes
    the receiver over 49 % of the supply."""
    sender_id = sender_of(actor)
    sender = await accounts_repo.account_for_update(conn, "id", sender_id)
    receiver = await accounts_repo.account_for_update(conn, "wallet_address", data.to_address)
    if receiver is None or receiver["role"] != AccessRole.CUSTOMER.value:
        raise NotFound("receiver_not_found", "no customer holds this address")
    if sender is None or sender["id"] == receiver["id"]:
        raise Conflict("invalid_receiver", "a transfer needs another customer")
    for who, row in (("sender", sender), ("receiver", receiver)):
        if row["kyc_status"] != "VERIFIED":
            raise Conflict("kyc_required", f"the {who} is not KYC-verified; THP cannot move")
    to_holder = holders.account_holder(receiver["id"])
    supply = await ledger.supply(conn, "THP")
    if would_exceed_customer_cap(await ledger.balance(conn, to_holder, "THP"), data.units, supply):
        raise Conflict("customer_cap", "this would take the receiver above 49 % of THP supply")
    transfer_id = str(uuid4())
    move = Movement(
        "THP",
        "transfer",
        data.units,
        holders.account_holder(sender_id),
        to_holder,
        "transfer",
        transfer_id,
    )
    try:
        await ledger.post(conn, ctx.settings, [move])
    except InsufficientBalance as exc:
        raise Conflict("insufficient_balance", "not enough THP") from exc
    return Transfer(
        transfer_id=transfer_id,
        from_address=sender["wallet_address"],
        to_address=receiver["wallet_address"],
        units=data.units,
    )
