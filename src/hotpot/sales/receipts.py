"""Receipts after the sale: reading one (its QR link, its print) and claiming it.

A claim moves the receipt's custody share to the customer, exactly once: THP, and SPOT
within the day cap (SPOT above the cap is burned). The rules are `domain.receipts`.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.config import Settings
from hotpot.context import AppContext
from hotpot.domain.access import AccessRole, Actor
from hotpot.domain.caps import CustomerCapExceeded, ensure_within_customer_cap
from hotpot.domain.errors import Conflict, DomainError, Forbidden, Gone, Locked, NotFound
from hotpot.domain.receipts import (
    LIVE_STATUSES,
    ClaimedReceipt,
    ClaimOutcome,
    ReceiptStatus,
    attempt_claim,
    normalise_code,
    status_at,
)
from hotpot.domain.sales import PrintedReceipt
from hotpot.domain.tokenomics import cap_spot, start_of_network_day
from hotpot.ledger import holders
from hotpot.ledger import repository as ledger_repo
from hotpot.ledger.holders import HolderWithoutAddress
from hotpot.ledger.repository import Movement
from hotpot.network import repository as network_repo
from hotpot.sales import repository as repo
from hotpot.sales.expiry import RECEIPT_REF, expire_locked
from hotpot.sales.qr import claim_url, public_base_url
from hotpot.sales.service import at_or_now
from hotpot.security.codes import is_legacy_hash
from hotpot.telemetry.metrics import RECEIPTS

# Claim attempts per customer per minute (on top of the 5-failure lock per receipt).
CLAIMS_PER_MINUTE = 20

_READERS = frozenset(
    {AccessRole.OWNER, AccessRole.FRANCHISEE, AccessRole.CASHIER, AccessRole.TERMINAL}
)


def _receipt_not_found() -> NotFound:
    return NotFound("receipt_not_found", "no receipt with this id")


# --- reading --------------------------------------------------------------------------


async def _readable_receipt(conn: AsyncConnection, actor: Actor, receipt_id: UUID) -> RowMapping:
    if actor.role not in _READERS:
        raise Forbidden("forbidden", "receipts are read by the node's staff and terminals")
    row = await repo.receipt(conn, receipt_id)
    # Another node's receipt is reported as missing, so ids cannot be probed.
    if row is None or not actor.acts_at(row["node_id"]):
        raise _receipt_not_found()
    return row


async def receipt_claim_url(ctx: AppContext, actor: Actor, receipt_id: UUID) -> str:
    async with ctx.db.read() as conn:
        row = await _readable_receipt(conn, actor, receipt_id)
    return claim_url(public_base_url(ctx.settings), row["id"])


async def receipt_print(
    ctx: AppContext, actor: Actor, receipt_id: UUID, now: datetime | None = None
) -> PrintedReceipt:
    async with ctx.db.read() as conn:
        row = await _readable_receipt(conn, actor, receipt_id)
        sale = await repo.sale(conn, row["sale_id"])
        node = await network_repo.node(conn, row["node_id"])
        assert sale is not None and node is not None  # foreign keys
        lines = await repo.lines_of(conn, sale["id"])
    return PrintedReceipt(
        receipt_id=row["id"],
        sale_id=sale["id"],
        terminal_sale_id=sale["terminal_sale_id"],
        node_id=node["id"],
        node_name=node["name"],
        node_city=node["city"],
        issued_at=row["created_at"],
        expires_at=row["expires_at"],
        amount_tetri=sale["amount_tetri"],
        lines=lines,
        thp_units=row["thp_units"],
        spot_units=row["spot_units"],
        status=status_at(repo.receipt_state(row), at_or_now(now)),
        claim_url=claim_url(public_base_url(ctx.settings), row["id"]),
    )


# --- claiming -------------------------------------------------------------------------


def _claimed(row: RowMapping) -> ClaimedReceipt:
    return ClaimedReceipt(
        receipt_id=row["id"],
        status=ReceiptStatus(row["status"]),
        thp_units=row["thp_units"],
        spot_units=row["spot_units"] - row["spot_burned_units"],
        spot_units_burned=row["spot_burned_units"],
        claimed_at=row["claimed_at"],
    )


def claimant(actor: Actor) -> UUID:
    """The customer a claim is for: only customers claim receipts."""
    if actor.role is not AccessRole.CUSTOMER:
        raise Forbidden("forbidden", "only customers claim receipts")
    return actor.id


async def _code_matches(ctx: AppContext, stored_hash: str, code: str) -> bool:
    """A keyed hash verifies in microseconds; an old argon2 one is slow, so off the loop."""
    if is_legacy_hash(stored_hash):
        return await asyncio.to_thread(ctx.codes.verify, stored_hash, code)
    return ctx.codes.verify(stored_hash, code)


async def claim_receipt(
    ctx: AppContext, actor: Actor, receipt_id: UUID, code_text: str, now: datetime | None = None
) -> ClaimedReceipt:
    """Move the receipt's custody share to the customer, exactly once.

    A wrong code is counted (and the 5th locks the receipt) in a committed transaction;
    the refusal is raised after the commit, so the count survives the error response.
    """
    customer = claimant(actor)
    at = at_or_now(now)
    code = normalise_code(code_text)
    refusal: DomainError | None = None
    claimed: RowMapping | None = None
    async with ctx.db.transaction() as conn:
        row = await repo.receipt_for_update(conn, receipt_id)
        if row is None:
            raise _receipt_not_found()
        if row["status"] == ReceiptStatus.CLAIMED and row["claimed_by"] == customer:
            return _claimed(row)  # a retried claim: the first answer again
        state = repo.receipt_state(row)
        matches = False
        if status_at(state, at) is ReceiptStatus.ACTIVE:
            matches = await _code_matches(ctx, row["code_hash"], code)
        result = attempt_claim(state, at, lambda: matches, ctx.settings.periods.receipt_policy)
        outcome = result.outcome
        if outcome is ClaimOutcome.CLAIMED:
            claimed = await _move_to_customer(ctx.settings, conn, row, customer, at)
        elif outcome is ClaimOutcome.EXPIRED:
            if row["status"] in LIVE_STATUSES:
                await expire_locked(ctx.settings, conn, [row], at)
                RECEIPTS.labels("expired").inc()
            refusal = Gone("receipt_expired", "this receipt has expired")
        elif outcome is ClaimOutcome.ALREADY_CLAIMED:
            refusal = Conflict("receipt_already_claimed", "this receipt has been claimed")
        elif outcome is ClaimOutcome.LOCKED:
            refusal = Locked("receipt_locked", "too many wrong codes: this receipt is locked")
        else:
            values: dict[str, Any] = {"failed_attempts": result.receipt.failed_attempts}
            if outcome is ClaimOutcome.LOCKED_NOW:
                values.update(status=ReceiptStatus.LOCKED.value, closed_at=at)
                refusal = Locked(
                    "receipt_locked", "too many wrong codes: this receipt is now locked"
                )
            else:
                refusal = Forbidden(
                    "wrong_code",
                    f"the activation code is wrong; {result.attempts_left} attempts left",
                    attempts_left=result.attempts_left,
                )
            await repo.update_receipt(conn, row["id"], [ReceiptStatus.ACTIVE.value], values)
    if refusal is not None:
        if outcome is ClaimOutcome.LOCKED_NOW:
            RECEIPTS.labels("locked").inc()
        raise refusal
    assert claimed is not None  # no refusal: the claim went through
    RECEIPTS.labels("claimed").inc()
    return _claimed(claimed)


async def _move_to_customer(
    settings: Settings, conn: AsyncConnection, row: RowMapping, customer: UUID, at: datetime
) -> RowMapping:
    holder = holders.account_holder(customer)
    await repo.lock_customer(conn, holder)
    supply = await ledger_repo.supply(conn, "THP")
    balance = await ledger_repo.balance(conn, holder, "THP")
    try:
        ensure_within_customer_cap(balance, row["thp_units"], supply)
    except CustomerCapExceeded as exc:
        raise Conflict("customer_cap_exceeded", str(exc)) from exc
    _, rule = await ledger_repo.tokenomics_in_force(conn)
    day_start = start_of_network_day(at, settings.periods.spot_day)
    already = await ledger_repo.spot_received_since(conn, holder, day_start)
    spot = cap_spot(row["spot_units"], already, rule)
    burned = row["spot_units"] - spot
    # The receipt first: the posting's last statements update custody's balances, rows
    # every claim shares, so only the commit follows them (claims queue on those locks).
    updated = await repo.update_receipt(
        conn,
        row["id"],
        [ReceiptStatus.ACTIVE.value],
        {
            "status": ReceiptStatus.CLAIMED.value,
            "claimed_by": customer,
            "claimed_at": at,
            "spot_burned_units": burned,
        },
    )
    assert updated is not None  # locked FOR UPDATE and ACTIVE
    ref = str(row["id"])
    try:
        await ledger_repo.post(
            conn,
            settings,
            [
                Movement(
                    "THP", "claim", row["thp_units"], holders.CUSTODY, holder, RECEIPT_REF, ref
                ),
                Movement("SPOT", "claim", spot, holders.CUSTODY, holder, RECEIPT_REF, ref),
                Movement("SPOT", "burn", burned, holders.CUSTODY, None, RECEIPT_REF, ref),
            ],
        )
    except HolderWithoutAddress as exc:
        raise Conflict(
            "no_wallet_address", "link a wallet to this account before claiming"
        ) from exc
    return updated
