"""Recording walk-in sales: priced from the menu, portions taken, minted, a receipt issued.

Every rule about a receipt's life is in `domain.receipts`; every split in
`domain.tokenomics`. A sale runs in one database transaction and mints with the ledger:
owner, franchisee and charity get their shares, the buyer's share goes to `custody`
under the receipt until a customer claims it (`sales.receipts`) or it expires
(`sales.expiry`) into the unclaimed pool (`sales.pool`).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from uuid import UUID, uuid4

import orjson
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.config import Settings
from hotpot.context import AppContext
from hotpot.domain.access import AccessRole, Actor
from hotpot.domain.errors import Conflict, Forbidden, NotFound
from hotpot.domain.menu import ItemStatus
from hotpot.domain.orders import merge_lines
from hotpot.domain.receipts import (
    ReceiptStatus,
    generate_activation_code,
    issue_receipt,
    status_at,
)
from hotpot.domain.results import Recorded
from hotpot.domain.sales import SaleLine, WalkInSale
from hotpot.domain.tokenomics import Mint, NodeType
from hotpot.ledger import holders
from hotpot.ledger import service as ledger
from hotpot.menu import repository as menu_repo
from hotpot.menu.cache import invalidate
from hotpot.network import repository as network_repo
from hotpot.sales import repository as repo
from hotpot.sales.qr import claim_url, public_base_url
from hotpot.sales.schemas import SaleIn
from hotpot.telemetry import metrics
from hotpot.telemetry.metrics import RECEIPTS

CHANNEL = "walk_in"


def at_or_now(now: datetime | None) -> datetime:
    """The moment a call acts at: the one given (tests, sweeps) or the current time."""
    at = now or datetime.now(UTC)
    if at.tzinfo is None:
        raise ValueError("a timezone-aware datetime is required")
    return at


def _fingerprint(wanted: list[tuple[UUID, int]]) -> bytes:
    body = sorted((str(item_id), quantity) for item_id, quantity in wanted)
    return hashlib.sha256(orjson.dumps(body)).digest()


def _walk_in_sale(
    settings: Settings,
    sale: RowMapping,
    lines: list[SaleLine],
    receipt: RowMapping,
    code: str | None,
) -> WalkInSale:
    return WalkInSale(
        sale_id=sale["id"],
        terminal_sale_id=sale["terminal_sale_id"],
        node_id=sale["node_id"],
        amount_tetri=sale["amount_tetri"],
        lines=lines,
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
        raise Forbidden("forbidden", "only a POS terminal records walk-in sales")
    return next(iter(actor.node_ids))


async def record_sale(
    ctx: AppContext, actor: Actor, data: SaleIn, now: datetime | None = None
) -> Recorded[WalkInSale]:
    """A new sale (created); a retry gets the same sale and receipt (not created)."""
    node_id = terminal_node(actor)
    if data.node_id is not None and data.node_id != node_id:
        raise Forbidden("wrong_node", "a terminal records sales only for its own node")
    at = at_or_now(now)
    wanted = merge_lines((line.item_id, line.quantity) for line in data.lines)
    fingerprint = _fingerprint(wanted)
    code = generate_activation_code(secrets.randbelow)
    code_hash = ctx.codes.hash(code)  # a keyed hash: microseconds, so no thread is needed
    async with ctx.db.transaction() as conn:
        node = await network_repo.node(conn, node_id)
        if node is None or not node["active"]:
            raise Conflict("node_inactive", "this terminal's node is not active")
        stock = await menu_repo.items_with_stock(conn, node_id, [item_id for item_id, _ in wanted])
        priced = [
            (item_id, quantity, stock[item_id]["price_tetri"] if item_id in stock else 0)
            for item_id, quantity in wanted
        ]
        amount = sum(quantity * price for _, quantity, price in priced)
        sale_id = uuid4()
        sale = await repo.insert_sale(
            conn,
            {
                "id": sale_id,
                "terminal_id": actor.id,
                "node_id": node_id,
                "terminal_sale_id": data.terminal_sale_id,
                "request_hash": fingerprint,
                "amount_tetri": amount,
                "created_at": at,
            },
        )
        if sale is None:
            # A replay answers whatever the menu says now: checked only for a new sale.
            replayed = await _replay(ctx, conn, actor, data, fingerprint, code_hash, code, at)
            return Recorded(replayed, created=False)
        _check_on_menu(priced, stock)
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
        receipts: list[RowMapping] = []

        async def receipt_and_portions(mint: Mint) -> None:
            # Written between the mint's entries and the rows every sale shares (the
            # network's balances, the supply): the dish's portions are shared by every sale
            # of it at this node, so they too are taken as late as they can be.
            # The lifetime is a setting (RECEIPT_LIFETIME_SECONDS): domain.md's 30 days.
            issued = issue_receipt(at, ctx.settings.periods.receipt_policy)
            receipts.append(
                await repo.insert_receipt(
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
            )
            await _take_portions(conn, node_id, priced)

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
            before_shared=receipt_and_portions,
        )
        assert mint is not None  # a new sale id has never minted
        receipt = receipts[0]
        lines = [SaleLine(item_id, quantity, price) for item_id, quantity, price in priced]
        out = _walk_in_sale(ctx.settings, sale, lines, receipt, code)
    await invalidate(ctx, [node_id])  # portions left are part of the node's cached menu
    metrics.record_sale(str(node_id), CHANNEL, amount, mint)
    RECEIPTS.labels("issued").inc()
    return Recorded(out, created=True)


def _check_on_menu(priced: list[tuple[UUID, int, int]], stock: dict[UUID, RowMapping]) -> None:
    """Each line must be an active dish of the menu (else 404)."""
    for item_id, _, _ in priced:
        item = stock.get(item_id)
        if item is None or item["status"] != ItemStatus.ACTIVE:
            raise NotFound("item_not_found", f"menu item {item_id} is not on the menu")


async def _take_portions(
    conn: AsyncConnection, node_id: UUID, priced: list[tuple[UUID, int, int]]
) -> None:
    """Take each line's portions (atomically; sold out -> 409)."""
    # A fixed lock order (by item id), so two sales of the same dishes cannot deadlock.
    for item_id, quantity, _ in sorted(priced):
        if not await menu_repo.take_stock(conn, node_id, item_id, quantity):
            raise Conflict("sold_out", f"not enough portions of {item_id} left here")


async def _replay(
    ctx: AppContext,
    conn: AsyncConnection,
    actor: Actor,
    data: SaleIn,
    fingerprint: bytes,
    code_hash: str,
    code: str,
    at: datetime,
) -> WalkInSale:
    """A retried sale: the same sale and receipt. A live receipt gets a fresh code.

    The first code was shown once and only its hash kept; a till retries because it
    never got (so never printed) that response, so it needs a code it can print. The
    new code replaces the old one; the failure counter is kept.
    """
    sale = await repo.sale_by_terminal_id(conn, actor.id, data.terminal_sale_id)
    assert sale is not None  # the insert conflicted on this key and rows are never deleted
    if sale["request_hash"] != fingerprint:
        raise Conflict(
            "terminal_sale_id_reused",
            "this terminal already recorded a different sale under this terminal_sale_id",
        )
    receipt = await repo.receipt_of_sale_for_update(conn, sale["id"])
    shown: str | None = None
    if status_at(repo.receipt_state(receipt), at) is ReceiptStatus.ACTIVE:
        updated = await repo.update_receipt(
            conn, receipt["id"], [ReceiptStatus.ACTIVE.value], {"code_hash": code_hash}
        )
        assert updated is not None  # locked FOR UPDATE and ACTIVE
        receipt, shown = updated, code
    lines = await repo.lines_of(conn, sale["id"])
    return _walk_in_sale(ctx.settings, sale, lines, receipt, shown)
