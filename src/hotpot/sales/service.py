"""Walk-in sales, receipts (claim, lock, expiry), the unclaimed pool and its distributions.

Every rule about a receipt's life is in `domain.receipts`; every split in
`domain.tokenomics` and `domain.distribution`. This module runs them inside one database
transaction each, under row locks, and moves tokens with ledger Movements:

- sale:         mint (owner, franchisee, charity, and the buyer's share to `custody`)
- claim:        custody -> acct:<customer> (THP and SPOT within the day cap); SPOT above
                the cap is burned
- expiry:       THP custody -> pool; SPOT is burned (soulbound voting power is never pooled)
- distribution: pool -> every THP holder except custody, pool and charity, pro rata
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from datetime import UTC, datetime, time
from typing import Any
from uuid import UUID, uuid4

import orjson
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.config import Settings
from hotpot.context import AppContext
from hotpot.domain.access import AccessRole, Actor
from hotpot.domain.caps import CustomerCapExceeded, ensure_within_customer_cap
from hotpot.domain.distribution import (
    DEFAULT_DISTRIBUTION_PERIOD,
    DistributionPeriod,
    NoEligibleHolders,
    distribute,
    period_of,
)
from hotpot.domain.menu import ItemStatus
from hotpot.domain.orders import merge_lines
from hotpot.domain.receipts import (
    DEFAULT_RECEIPT_POLICY,
    ClaimOutcome,
    Receipt,
    ReceiptPolicy,
    ReceiptStatus,
    attempt_claim,
    generate_activation_code,
    issue_receipt,
    normalise_code,
    status_at,
)
from hotpot.domain.tokenomics import NETWORK_TIMEZONE, NodeType, cap_spot, network_day
from hotpot.http.problems import ApiError
from hotpot.ledger import holders, tokenomics_store
from hotpot.ledger import repository as ledger_repo
from hotpot.ledger import service as ledger
from hotpot.ledger.holders import HolderWithoutAddress
from hotpot.ledger.repository import Movement
from hotpot.menu.cache import invalidate
from hotpot.orders import repository as orders_repo
from hotpot.sales import repository as repo
from hotpot.sales.qr import claim_url
from hotpot.sales.schemas import (
    ClaimOut,
    DistributionOut,
    ExpiryOut,
    PoolOut,
    ReceiptPrintOut,
    SaleIn,
    SaleLineOut,
    SaleOut,
)
from hotpot.security.passwords import hash_secret, verify_secret
from hotpot.telemetry import metrics
from hotpot.telemetry.metrics import RECEIPTS

# (config) The receipt lifetime and failure limit, and the distribution period; the
# defaults are those of domain.md (30 days, 5 failures, yearly).
RECEIPT_POLICY: ReceiptPolicy = DEFAULT_RECEIPT_POLICY
DISTRIBUTION_PERIOD: DistributionPeriod = DEFAULT_DISTRIBUTION_PERIOD
# Claim attempts per customer per minute (on top of the 5-failure lock per receipt).
CLAIMS_PER_MINUTE = 20
EXPIRY_BATCH = 500
CHANNEL = "walk_in"
RECEIPT_REF = "receipt"
# Holders that never take part in a distribution (domain.md: custody and charity; the
# pool is what is being paid). The network owner is an ST holder and is paid.
NOT_DISTRIBUTED_TO = (holders.CUSTODY, holders.POOL, holders.CHARITY)
LIVE = (ReceiptStatus.ACTIVE.value, ReceiptStatus.LOCKED.value)

_RECEIPT_NOT_FOUND = ApiError(404, "receipt_not_found", "no receipt with this id")


def public_base_url(settings: Settings) -> str:
    """Where customers open the claim page: the service's public origin."""
    return settings.siwe_uri


def _now(now: datetime | None) -> datetime:
    at = now or datetime.now(UTC)
    if at.tzinfo is None:
        raise ValueError("a timezone-aware datetime is required")
    return at


# --- sales ---------------------------------------------------------------------------


def _fingerprint(wanted: list[tuple[UUID, int]]) -> bytes:
    body = sorted((str(item_id), quantity) for item_id, quantity in wanted)
    return hashlib.sha256(orjson.dumps(body)).digest()


def _lines_out(lines: list[RowMapping]) -> list[SaleLineOut]:
    return [
        SaleLineOut(
            item_id=line["item_id"],
            quantity=line["quantity"],
            unit_price_tetri=line["unit_price_tetri"],
            line_total_tetri=line["quantity"] * line["unit_price_tetri"],
        )
        for line in lines
    ]


def _sale_out(
    settings: Settings,
    sale: RowMapping,
    lines: list[RowMapping],
    receipt: RowMapping,
    code: str | None,
) -> SaleOut:
    return SaleOut(
        sale_id=sale["id"],
        terminal_sale_id=sale["terminal_sale_id"],
        node_id=sale["node_id"],
        amount_tetri=sale["amount_tetri"],
        lines=_lines_out(lines),
        receipt_id=receipt["id"],
        receipt_status=ReceiptStatus(receipt["status"]),
        thp_units=receipt["thp_units"],
        spot_units=receipt["spot_units"],
        activation_code=code,
        expires_at=receipt["expires_at"],
        claim_url=claim_url(public_base_url(settings), receipt["id"]),
        created_at=sale["created_at"],
    )


def terminal_node(actor: Actor) -> UUID:
    """The one node a terminal's token names: a terminal sells only there."""
    if actor.role is not AccessRole.TERMINAL or len(actor.node_ids) != 1:
        raise ApiError(403, "forbidden", "only a POS terminal records walk-in sales")
    return next(iter(actor.node_ids))


async def record_sale(
    ctx: AppContext, actor: Actor, data: SaleIn, now: datetime | None = None
) -> tuple[int, SaleOut]:
    """(201, sale) for a new sale; (200, the same sale and receipt) for a retry."""
    node_id = terminal_node(actor)
    if data.node_id is not None and data.node_id != node_id:
        raise ApiError(403, "wrong_node", "a terminal records sales only for its own node")
    at = _now(now)
    wanted = merge_lines((line.item_id, line.quantity) for line in data.lines)
    fingerprint = _fingerprint(wanted)
    # The slow hash runs before the transaction, so no row lock waits on it.
    code = generate_activation_code(secrets.randbelow)
    code_hash = await asyncio.to_thread(hash_secret, code)
    async with ctx.db.transaction() as conn:
        node = await repo.node(conn, node_id)
        if node is None or not node["active"]:
            raise ApiError(409, "node_inactive", "this terminal's node is not active")
        sale_id = uuid4()
        created = await repo.insert_sale(
            conn,
            {
                "id": sale_id,
                "terminal_id": actor.id,
                "node_id": node_id,
                "terminal_sale_id": data.terminal_sale_id,
                "request_hash": fingerprint,
                "amount_tetri": 0,
                "created_at": at,
            },
        )
        if not created:
            return 200, await _replay(ctx, conn, actor, data, fingerprint, code_hash, code, at)
        priced = await _price_and_take(conn, node_id, wanted)
        amount = sum(quantity * price for _, quantity, price in priced)
        await repo.insert_lines(
            conn,
            [
                {
                    "sale_id": sale_id,
                    "line_no": number,
                    "item_id": item_id,
                    "quantity": quantity,
                    "unit_price_tetri": price,
                }
                for number, (item_id, quantity, price) in enumerate(priced, start=1)
            ],
        )
        mint = await ledger.mint_purchase(
            conn,
            ctx.settings,
            ledger.Purchase(
                ref_kind="sale",
                ref_id=str(sale_id),
                node_id=node_id,
                node_type=NodeType(node["type"]),
                franchisee_account=node["owner_account_id"],
                buyer_holder=holders.CUSTODY,
                amount_tetri=amount,
                at=at,
            ),
            cap_spot=False,
        )
        assert mint is not None  # a new sale id has never minted
        sale = await repo.set_sale_amount(conn, sale_id, amount)
        issued = issue_receipt(at, RECEIPT_POLICY)
        receipt = await repo.insert_receipt(
            conn,
            {
                "id": uuid4(),
                "sale_id": sale_id,
                "node_id": node_id,
                "thp_units": mint.buyer,
                "spot_units": mint.spot,
                "code_hash": code_hash,
                "status": issued.status.value,
                "created_at": issued.issued_at,
                "expires_at": issued.expires_at,
            },
        )
        out = _sale_out(ctx.settings, sale, await repo.lines_of(conn, sale_id), receipt, code)
    await invalidate(ctx, [node_id])  # portions left are part of the node's cached menu
    metrics.record_sale(str(node_id), CHANNEL, amount, mint)
    RECEIPTS.labels("issued").inc()
    return 201, out


async def _price_and_take(
    conn: AsyncConnection, node_id: UUID, wanted: list[tuple[UUID, int]]
) -> list[tuple[UUID, int, int]]:
    """Price each line from the menu and take its portions (atomically; sold out -> 409)."""
    stock = await orders_repo.items_with_stock(conn, node_id, [item_id for item_id, _ in wanted])
    priced: list[tuple[UUID, int, int]] = []
    for item_id, quantity in wanted:
        item = stock.get(item_id)
        if item is None or item["status"] != ItemStatus.ACTIVE:
            raise ApiError(404, "item_not_found", f"menu item {item_id} is not on the menu")
        priced.append((item_id, quantity, item["price_tetri"]))
    # A fixed lock order (by item id), so two sales of the same dishes cannot deadlock.
    for item_id, quantity, _ in sorted(priced):
        if not await orders_repo.take_stock(conn, node_id, item_id, quantity):
            raise ApiError(409, "sold_out", f"not enough portions of {item_id} left here")
    return priced


async def _replay(
    ctx: AppContext,
    conn: AsyncConnection,
    actor: Actor,
    data: SaleIn,
    fingerprint: bytes,
    code_hash: str,
    code: str,
    at: datetime,
) -> SaleOut:
    """A retried sale: the same sale and receipt. A live receipt gets a fresh code.

    The first code was shown once and only its hash kept; a till retries because it
    never got (so never printed) that response, so it needs a code it can print. The
    new code replaces the old one; the failure counter is kept.
    """
    sale = await repo.sale_by_terminal_id(conn, actor.id, data.terminal_sale_id)
    assert sale is not None  # the insert conflicted on this key and rows are never deleted
    if sale["request_hash"] != fingerprint:
        raise ApiError(
            409,
            "terminal_sale_id_reused",
            "this terminal already recorded a different sale under this terminal_sale_id",
        )
    receipt = await repo.receipt_of_sale_for_update(conn, sale["id"])
    shown: str | None = None
    if status_at(_receipt_state(receipt), at) is ReceiptStatus.ACTIVE:
        updated = await repo.update_receipt(
            conn, receipt["id"], [ReceiptStatus.ACTIVE.value], {"code_hash": code_hash}
        )
        assert updated is not None  # locked FOR UPDATE and ACTIVE
        receipt, shown = updated, code
    return _sale_out(ctx.settings, sale, await repo.lines_of(conn, sale["id"]), receipt, shown)


# --- receipts: reading ----------------------------------------------------------------

_READERS = frozenset(
    {AccessRole.OWNER, AccessRole.FRANCHISEE, AccessRole.CASHIER, AccessRole.TERMINAL}
)


async def _readable_receipt(conn: AsyncConnection, actor: Actor, receipt_id: UUID) -> RowMapping:
    if actor.role not in _READERS:
        raise ApiError(403, "forbidden", "receipts are read by the node's staff and terminals")
    row = await repo.receipt(conn, receipt_id)
    # Another node's receipt is reported as missing, so ids cannot be probed.
    if row is None or not actor.acts_at(row["node_id"]):
        raise _RECEIPT_NOT_FOUND
    return row


async def receipt_claim_url(ctx: AppContext, actor: Actor, receipt_id: UUID) -> str:
    async with ctx.db.read() as conn:
        row = await _readable_receipt(conn, actor, receipt_id)
    return claim_url(public_base_url(ctx.settings), row["id"])


async def receipt_print(
    ctx: AppContext, actor: Actor, receipt_id: UUID, now: datetime | None = None
) -> ReceiptPrintOut:
    async with ctx.db.read() as conn:
        row = await _readable_receipt(conn, actor, receipt_id)
        sale = await repo.sale(conn, row["sale_id"])
        node = await repo.node(conn, row["node_id"])
        assert sale is not None and node is not None  # foreign keys
        lines = await repo.lines_of(conn, sale["id"])
    return ReceiptPrintOut(
        receipt_id=row["id"],
        sale_id=sale["id"],
        terminal_sale_id=sale["terminal_sale_id"],
        node_id=node["id"],
        node_name=node["name"],
        node_city=node["city"],
        issued_at=row["created_at"],
        expires_at=row["expires_at"],
        amount_tetri=sale["amount_tetri"],
        lines=_lines_out(lines),
        thp_units=row["thp_units"],
        spot_units=row["spot_units"],
        status=status_at(_receipt_state(row), _now(now)),
        claim_url=claim_url(public_base_url(ctx.settings), row["id"]),
    )


# --- receipts: claiming ---------------------------------------------------------------


def _receipt_state(row: RowMapping) -> Receipt:
    return Receipt(
        status=ReceiptStatus(row["status"]),
        issued_at=row["created_at"],
        expires_at=row["expires_at"],
        failed_attempts=row["failed_attempts"],
        claimed_at=row["claimed_at"],
    )


def _claim_out(row: RowMapping) -> ClaimOut:
    return ClaimOut(
        receipt_id=row["id"],
        status=ReceiptStatus(row["status"]),
        thp_units=row["thp_units"],
        spot_units=row["spot_units"] - row["spot_burned_units"],
        spot_units_burned=row["spot_burned_units"],
        claimed_at=row["claimed_at"],
    )


def _start_of_network_day(at: datetime) -> datetime:
    return datetime.combine(network_day(at), time.min, tzinfo=NETWORK_TIMEZONE)


async def claim_receipt(
    ctx: AppContext, actor: Actor, receipt_id: UUID, code_text: str, now: datetime | None = None
) -> ClaimOut:
    """Move the receipt's custody share to the customer, exactly once.

    A wrong code is counted (and the 5th locks the receipt) in a committed transaction;
    the refusal is raised after the commit, so the count survives the error response.
    """
    if actor.role is not AccessRole.CUSTOMER:
        raise ApiError(403, "forbidden", "only customers claim receipts")
    at = _now(now)
    code = normalise_code(code_text)
    refusal: ApiError | None = None
    claimed: RowMapping | None = None
    async with ctx.db.transaction() as conn:
        row = await repo.receipt_for_update(conn, receipt_id)
        if row is None:
            raise _RECEIPT_NOT_FOUND
        if row["status"] == ReceiptStatus.CLAIMED and row["claimed_by"] == actor.id:
            return _claim_out(row)  # a retried claim: the first answer again
        state = _receipt_state(row)
        matches = False
        if status_at(state, at) is ReceiptStatus.ACTIVE:
            matches = await asyncio.to_thread(verify_secret, row["code_hash"], code)
        result = attempt_claim(state, at, lambda: matches, RECEIPT_POLICY)
        outcome = result.outcome
        if outcome is ClaimOutcome.CLAIMED:
            claimed = await _move_to_customer(ctx.settings, conn, row, actor.id, at)
        elif outcome is ClaimOutcome.EXPIRED:
            if row["status"] in LIVE:
                await _expire(ctx.settings, conn, [row], at)
                RECEIPTS.labels("expired").inc()
            refusal = ApiError(410, "receipt_expired", "this receipt has expired")
        elif outcome is ClaimOutcome.ALREADY_CLAIMED:
            refusal = ApiError(409, "receipt_already_claimed", "this receipt has been claimed")
        elif outcome is ClaimOutcome.LOCKED:
            refusal = ApiError(
                423, "receipt_locked", "too many wrong codes: this receipt is locked"
            )
        else:
            values: dict[str, Any] = {"failed_attempts": result.receipt.failed_attempts}
            if outcome is ClaimOutcome.LOCKED_NOW:
                values.update(status=ReceiptStatus.LOCKED.value, closed_at=at)
                refusal = ApiError(
                    423, "receipt_locked", "too many wrong codes: this receipt is now locked"
                )
            else:
                refusal = ApiError(
                    403,
                    "wrong_code",
                    f"the activation code is wrong; {result.attempts_left} attempts left",
                    extra={"attempts_left": result.attempts_left},
                )
            await repo.update_receipt(conn, row["id"], [ReceiptStatus.ACTIVE.value], values)
    if refusal is not None:
        if refusal.code == "receipt_locked" and outcome is ClaimOutcome.LOCKED_NOW:
            RECEIPTS.labels("locked").inc()
        raise refusal
    assert claimed is not None  # no refusal: the claim went through
    RECEIPTS.labels("claimed").inc()
    return _claim_out(claimed)


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
        raise ApiError(409, "customer_cap_exceeded", str(exc)) from exc
    _, rule = await tokenomics_store.current(conn)
    already = await repo.spot_received_since(conn, holder, _start_of_network_day(at))
    spot = cap_spot(row["spot_units"], already, rule)
    burned = row["spot_units"] - spot
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
        raise ApiError(
            409, "no_wallet_address", "link a wallet to this account before claiming"
        ) from exc
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
    return updated


# --- expiry ---------------------------------------------------------------------------


async def _expire(
    settings: Settings, conn: AsyncConnection, rows: list[RowMapping], at: datetime
) -> tuple[int, int, int]:
    """EXPIRE locked-for-update live receipts: THP to the pool, SPOT burned."""
    moves: list[Movement] = []
    expired = 0
    for row in rows:
        updated = await repo.update_receipt(
            conn, row["id"], LIVE, {"status": ReceiptStatus.EXPIRED.value, "closed_at": at}
        )
        if updated is None:
            continue
        expired += 1
        ref = str(row["id"])
        moves.append(
            Movement(
                "THP", "expiry", row["thp_units"], holders.CUSTODY, holders.POOL, RECEIPT_REF, ref
            )
        )
        moves.append(
            Movement("SPOT", "burn", row["spot_units"], holders.CUSTODY, None, RECEIPT_REF, ref)
        )
    await ledger_repo.post(conn, settings, moves)
    thp = sum(m.units for m in moves if m.token == "THP")
    spot = sum(m.units for m in moves if m.token == "SPOT")
    return expired, thp, spot


async def expire_receipts(ctx: AppContext, now: datetime | None = None) -> ExpiryOut:
    """Expire every live receipt past its deadline (what `hotpot receipts expire` runs).

    Batches of rows locked with SKIP LOCKED and a guarded status change: two sweeps at
    once (or a sweep and a claim) never expire a receipt twice.
    """
    at = _now(now)
    total = ExpiryOut(expired=0, thp_units_to_pool=0, spot_units_burned=0)
    while True:
        async with ctx.db.transaction() as conn:
            rows = await repo.due_receipts_for_update(conn, at, EXPIRY_BATCH)
            expired, thp, spot = await _expire(ctx.settings, conn, rows, at)
        total = ExpiryOut(
            expired=total.expired + expired,
            thp_units_to_pool=total.thp_units_to_pool + thp,
            spot_units_burned=total.spot_units_burned + spot,
        )
        if len(rows) < EXPIRY_BATCH:
            break
    if total.expired:
        RECEIPTS.labels("expired").inc(total.expired)
    return total


# --- the pool and its distribution ----------------------------------------------------


def _distribution_out(row: RowMapping) -> DistributionOut:
    return DistributionOut(
        id=row["id"],
        period=DistributionPeriod(row["period"]),
        label=row["label"],
        pool_units=row["pool_units"],
        holders_paid=row["holders_paid"],
        created_at=row["created_at"],
    )


def _already_distributed(row: RowMapping) -> ApiError:
    return ApiError(
        409,
        "already_distributed",
        f"the pool was already distributed for period {row['label']}",
        extra={"distribution_id": str(row["id"])},
    )


async def distribute_pool(
    ctx: AppContext, actor: Actor, now: datetime | None = None
) -> DistributionOut:
    """Pay the whole THP pool to ST holders pro rata, at most once per period."""
    if actor.role is not AccessRole.OWNER:
        raise ApiError(403, "forbidden", "only the network owner distributes the pool")
    key = period_of(_now(now), DISTRIBUTION_PERIOD)
    distribution_id = uuid4()
    async with ctx.db.transaction() as conn:
        # The pool's balance row is the distribution's lock: a racer waits here, then
        # finds the period taken (and the unique key stops it if it gets past anyway).
        pool = await repo.lock_balance(conn, holders.POOL, "THP")
        existing = await repo.distribution_of_period(conn, key.period.value, key.label)
        if existing is not None:
            raise _already_distributed(existing)
        if pool == 0:
            raise ApiError(409, "pool_empty", "the unclaimed pool is empty: nothing to pay")
        holdings = await repo.holdings(conn, "THP", NOT_DISTRIBUTED_TO)
        try:
            payouts = distribute(pool, holdings)
        except NoEligibleHolders as exc:
            raise ApiError(409, "no_eligible_holders", str(exc)) from exc
        paid = {holder: units for holder, units in payouts.items() if units > 0}
        taken = await repo.claim_period(
            conn,
            {
                "id": distribution_id,
                "period": key.period.value,
                "label": key.label,
                "pool_units": pool,
                "holders_paid": len(paid),
                "created_by": actor.id,
            },
        )
        if not taken:
            raced = await repo.distribution_of_period(conn, key.period.value, key.label)
            assert raced is not None
            raise _already_distributed(raced)
        ref = str(distribution_id)
        await ledger_repo.post(
            conn,
            ctx.settings,
            [
                Movement("THP", "distribution", units, holders.POOL, holder, "distribution", ref)
                for holder, units in sorted(paid.items())
            ],
        )
        row = await repo.distribution_of_period(conn, key.period.value, key.label)
        assert row is not None
    return _distribution_out(row)


async def pool(ctx: AppContext, now: datetime | None = None) -> PoolOut:
    async with ctx.db.read() as conn:
        pool_units = await ledger_repo.balance(conn, holders.POOL, "THP")
        custody = await ledger_repo.balances(conn, holders.CUSTODY)
    return PoolOut(
        pool_thp_units=pool_units,
        custody_thp_units=custody["THP"],
        custody_spot_units=custody["SPOT"],
        period=DISTRIBUTION_PERIOD,
        current_period=period_of(_now(now), DISTRIBUTION_PERIOD).label,
    )


async def list_distributions(ctx: AppContext, limit: int, offset: int) -> list[DistributionOut]:
    async with ctx.db.read() as conn:
        rows = await repo.list_distributions(conn, limit + 1, offset)
    return [_distribution_out(row) for row in rows]
