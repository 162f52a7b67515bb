"""Minting by the purchase rule, exactly once per purchase."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.accounts import repository as accounts_repo
from hotpot.config import Settings
from hotpot.domain.access import AccessRole
from hotpot.domain.sales import NodeFigures
from hotpot.domain.tokenomics import Mint, NodeType, purchase_mint, start_of_network_day
from hotpot.ledger import holders
from hotpot.ledger import repository as repo
from hotpot.ledger.repository import Movement


@dataclass(frozen=True)
class Purchase:
    ref_kind: str  # 'order' or 'sale'
    ref_id: str
    node_id: UUID
    node_type: NodeType
    franchisee_account: UUID | None
    buyer_holder: str  # a customer's account holder, or custody for a walk-in receipt
    amount_tetri: int
    at: datetime


async def mint_purchase(
    conn: AsyncConnection,
    settings: Settings,
    purchase: Purchase,
    *,
    cap_spot: bool = True,
    before_shared: Callable[[Mint], Awaitable[None]] | None = None,
) -> Mint | None:
    """Mint for a purchase; None when this purchase has already minted (a retry).

    `cap_spot=False` is for walk-in sales: the buyer is anonymous at the till, so the
    SPOT goes into custody uncapped and the daily cap applies when a customer claims it.
    `before_shared` gets the mint once its entries are written and before the rows every
    purchase shares (the network's balances, the supply, the node's totals) are updated:
    the caller's own remaining writes go there, so those locks are held to the commit only.
    """
    recorded = await repo.record_purchase(
        conn,
        {
            "ref_kind": purchase.ref_kind,
            "ref_id": purchase.ref_id,
            "node_id": purchase.node_id,
            "buyer_holder": purchase.buyer_holder,
            "amount_tetri": purchase.amount_tetri,
            "tokenomics_version": 0,
        },
    )
    if not recorded:
        return None
    version, rule = await repo.tokenomics_in_force(conn)
    if version:
        await repo.set_purchase_tokenomics(conn, purchase.ref_kind, purchase.ref_id, version)
    already = 0
    if cap_spot:
        already = await repo.minted_to_since(
            conn,
            purchase.buyer_holder,
            "SPOT",
            start_of_network_day(purchase.at, settings.periods.spot_day),
        )
    mint = purchase_mint(purchase.amount_tetri, purchase.node_type, rule, already)
    if not cap_spot:
        mint = replace(mint, spot=mint.spot_before_cap)
    # A franchise node with no franchisee on record: its share goes to the network owner.
    franchisee = (
        holders.account_holder(purchase.franchisee_account)
        if purchase.franchisee_account is not None
        else holders.OWNER
    )

    def minted(token: str, units: int, to: str) -> Movement:
        return Movement(token, "mint", units, None, to, purchase.ref_kind, purchase.ref_id)

    async def before_counters() -> None:
        if before_shared is not None:
            await before_shared(mint)

    await repo.post(
        conn,
        settings,
        [
            minted("THP", mint.owner, holders.OWNER),
            minted("THP", mint.franchisee, franchisee),
            minted("THP", mint.charity, holders.CHARITY),
            minted("THP", mint.buyer, purchase.buyer_holder),
            minted("SPOT", mint.spot, purchase.buyer_holder),
        ],
        before_counters=before_counters,
    )
    await repo.count_node_sale(
        conn,
        purchase.node_id,
        purchase.amount_tetri,
        mint.franchisee if purchase.franchisee_account is not None else 0,
    )
    return mint


async def node_figures(
    conn: AsyncConnection, node_id: UUID, node_type: NodeType, franchisee_account: UUID | None
) -> NodeFigures:
    """The node's running totals: purchases, volume and what they minted to its franchisee."""
    purchases, volume, franchisee_units = await repo.node_totals(conn, node_id)
    has_franchisee = node_type is NodeType.FRANCHISE and franchisee_account is not None
    return NodeFigures(
        purchases=purchases,
        volume_tetri=volume,
        franchisee_thp_units=franchisee_units if has_franchisee else None,
    )


async def customers_thp(conn: AsyncConnection) -> dict[str, int]:
    """The positive THP balance of every customer account, by holder key."""
    customers = {
        holders.account_holder(account_id)
        for account_id in await accounts_repo.ids_with_role(conn, AccessRole.CUSTOMER.value)
    }
    everyone = await repo.holdings(conn, "THP", ())
    return {holder: units for holder, units in everyone.items() if holder in customers}


async def largest_customer_thp(conn: AsyncConnection) -> int:
    """The THP of the customer holding the most (0 without any): the 49 % cap's figure.

    The largest account balances first, until one is a customer's (the few franchisees
    come before): the gauges read this on a timer, and reading every customer and every
    balance into Python cost a worker seconds of CPU at 100,000 holders.
    """
    offset = 0
    while True:
        top = await repo.largest_holdings(conn, "THP", holders.ACCOUNT_PREFIX, 50, offset)
        for holder, units in top:
            account_id = holders.account_of(holder)
            if account_id is None:
                continue
            if await accounts_repo.role_of(conn, account_id) == AccessRole.CUSTOMER.value:
                return units
        if len(top) < 50:
            return 0
        offset += 50


async def franchisees_thp(conn: AsyncConnection) -> int:
    """THP units held by all franchisee accounts together."""
    franchisees = await accounts_repo.ids_with_role(conn, AccessRole.FRANCHISEE.value)
    return await repo.held_by(conn, [holders.account_holder(f) for f in franchisees], "THP")
